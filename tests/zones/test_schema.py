"""The zone schema: street rules (which house numbers a zone has), their Dutch text, zone sets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from geo.housenumber import HouseNumber
from tests.common import zone_a, zone_b_sharing_edge
from zones.errors import UnknownZoneError
from zones.schema import NumberRange, StreetRule, Zone, ZoneProperties, ZoneSet


def rule(numbers: Any) -> StreetRule:
    return StreetRule.model_validate({"name": "Steenweg", "numbers": numbers})


N = HouseNumber

# (rule, numbers it covers, numbers it does not)
COVERS = [
    pytest.param("all", [N(1), N(2), N(30, "a"), None], [], id="all (even without a number)"),
    pytest.param("even", [N(2), N(30, "a"), N(0)], [N(1), N(31, "b"), None], id="even"),
    pytest.param("odd", [N(1), N(31, "b")], [N(2), None], id="odd"),
    pytest.param(
        {"from": 10, "to": 20}, [N(10), N(15), N(20), N(20, "a")], [N(9), N(21), None], id="range"
    ),
    pytest.param(
        {"from": 10, "to": 20, "parity": "even"},
        [N(10), N(12, "a"), N(20)],
        [N(11), N(19), N(22), N(8)],
        id="range, even side",
    ),
    pytest.param(
        {"from": 97, "to": 122, "parity": "odd"},
        [N(97), N(121)],
        [N(98), N(123), N(95)],
        id="range, odd side",
    ),
    pytest.param("partial", [], [N(1), N(2), None], id="partial: the polygon decides"),
]


@pytest.mark.parametrize(("numbers", "inside", "outside"), COVERS)
def test_covers(
    numbers: Any, inside: list[HouseNumber | None], outside: list[HouseNumber | None]
) -> None:
    r = rule(numbers)
    assert [n for n in inside if not r.covers(n)] == []
    assert [n for n in outside if r.covers(n)] == []


def test_only_partial_does_not_decide() -> None:
    assert not rule("partial").decides()
    assert all(rule(n).decides() for n in ("all", "even", "odd", {"from": 1, "to": 3}))


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        pytest.param("all", "Steenweg", id="all"),
        pytest.param("even", "Steenweg (even nrs.)", id="even"),
        pytest.param("odd", "Steenweg (oneven nrs.)", id="odd"),
        pytest.param("partial", "Steenweg (deels)", id="partial"),
        pytest.param({"from": 1, "to": 28}, "Steenweg (nrs. 1-28)", id="range"),
        pytest.param(
            {"from": 2, "to": 40, "parity": "even"}, "Steenweg (nrs. 2-40 even)", id="range even"
        ),
        pytest.param(
            {"from": 1, "to": 39, "parity": "odd"}, "Steenweg (nrs. 1-39 oneven)", id="range odd"
        ),
    ],
)
def test_describe_in_dutch(numbers: Any, text: str) -> None:
    assert rule(numbers).describe() == text


def test_default_rule_is_all() -> None:
    assert StreetRule(name="Kerkstraat").numbers == "all"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"name": "Steenweg", "numbers": {"from": 20, "to": 10}}, id="to before from"),
        pytest.param({"name": "Steenweg", "numbers": {"from": -1, "to": 10}}, id="negative"),
        pytest.param(
            {"name": "Steenweg", "numbers": {"from": 1, "to": 9, "side": "x"}}, id="unknown key"
        ),
        pytest.param({"name": "Steenweg", "numbers": "some"}, id="unknown keyword"),
        pytest.param({"name": "", "numbers": "all"}, id="empty name"),
        pytest.param({"name": "Steenweg", "postcode": "357"}, id="bad postcode"),
        pytest.param({"name": "Steenweg", "colour": "red"}, id="extra field"),
    ],
)
def test_invalid_rules_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        StreetRule.model_validate(data)


def test_range_dumps_with_its_alias() -> None:
    r = NumberRange.model_validate({"from": 1, "to": 28})
    assert r.model_dump(by_alias=True, exclude_none=True) == {"from": 1, "to": 28}


@pytest.mark.parametrize("zone_id", ["Sint-Joris", "sint joris", "-x", "", "a" * 64, "é"])
def test_zone_id_is_a_slug(zone_id: str) -> None:
    with pytest.raises(ValidationError):
        ZoneProperties(id=zone_id, name="WABP X")


def test_zone_properties_defaults() -> None:
    props = ZoneProperties(id="sint-joris", name="WABP Sint-Joris")
    assert (props.status, props.streets, props.area, props.valid_from) == ("active", [], "", None)


def test_zone_keeps_both_crs() -> None:
    zone = Zone(ZoneProperties(id="a", name="WABP A"), zone_a)
    assert zone.geometry.equals(zone_a)
    # Lambert 72 metres: about 700 m x 1,100 m.
    assert 700_000 < zone.geometry_l72.area < 900_000
    minx, miny, _, _ = zone.geometry_l72.bounds
    assert 200_000 < minx < 230_000 and 160_000 < miny < 190_000


def test_zone_set_lookup_and_active() -> None:
    zones = ZoneSet(
        [
            Zone(ZoneProperties(id="a", name="WABP A"), zone_a),
            Zone(ZoneProperties(id="b", name="WABP B", status="proposed"), zone_b_sharing_edge),
        ]
    )
    assert len(zones) == 2 and "a" in zones and "c" not in zones
    assert zones.get("b").name == "WABP B"
    assert [z.id for z in zones.active()] == ["a"]
    assert [z.id for z in zones] == ["a", "b"]
    with pytest.raises(UnknownZoneError) as info:
        zones.get("c")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "unknown zone id: 'c'"
