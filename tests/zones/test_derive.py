"""Deriving zone polygons from address points: house-number rules, Voronoi unions, the shipped zones."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import shapely

from geo.crs import LambertXY
from geo.register import AddressRegister
from tests.common import DATA, register
from zones.assign import assign
from zones.dataset import Dataset
from zones.derive import (
    DeriveSpec,
    derive_from_files,
    derive_zones,
    illustrative_infoborden,
    infer_rule,
    load_spec,
)
from zones.errors import ZoneFileError
from zones.schema import NumberRange, ZoneSet, to_l72
from zones.storage import InfobordFeature
from zones.validate import check_zone_set


@pytest.mark.parametrize(
    ("inside", "outside", "expected"),
    [
        pytest.param([1, 2, 3], [], "all", id="nothing outside: all"),
        pytest.param([2, 4, 8], [1, 3, 5], "even", id="even side"),
        pytest.param([1, 3], [2, 4, 6], "odd", id="odd side"),
        pytest.param([1, 2, 3, 28], [30, 31, 40], {"from": 1, "to": 28}, id="range"),
        pytest.param(
            [2, 4, 6], [1, 3, 5, 8], {"from": 2, "to": 6, "parity": "even"}, id="range, even side"
        ),
        pytest.param(
            [97, 99, 121],
            [98, 100, 95, 123],
            {"from": 97, "to": 121, "parity": "odd"},
            id="range, odd side",
        ),
        pytest.param([2, 6], [4], "partial", id="interleaved: partial"),
        pytest.param([1, 2, 5], [3, 4], "partial", id="mixed: partial"),
    ],
)
def test_infer_rule(inside: list[int], outside: list[int], expected: Any) -> None:
    rule = infer_rule(inside, outside)
    if isinstance(expected, dict):
        assert rule == NumberRange.model_validate(expected)
    else:
        assert rule == expected


# A toy municipality: the two squares of tests.common side by side. Weststraat runs in the west,
# Ooststraat in the east; Middenstraat crosses both, even numbers west of 5.29 and odd ones east.
BOUNDARY = shapely.box(5.28, 50.87, 5.30, 50.88)


@pytest.fixture(scope="module")
def toy() -> AddressRegister:
    rows: list[Any] = []
    for n in range(1, 11):
        rows.append(("Weststraat", str(n), 5.2815 + 0.0007 * n, 50.872 + 0.0002 * (n % 2)))
        rows.append(("Ooststraat", str(n), 5.2915 + 0.0007 * n, 50.872 + 0.0002 * (n % 2)))
    for n in range(1, 21):
        lon = (5.281 if n % 2 == 0 else 5.291) + 0.0004 * n
        rows.append(("Middenstraat", str(n), lon, 50.877))
    rows.append(("Weststraat", "11", None, None))  # no position: says nothing about the split
    return register(*rows)


def spec(**groups: dict[str, Any]) -> DeriveSpec:
    return DeriveSpec.model_validate(
        {"groups": [{"id": gid, "name": f"WABP {gid.title()}", **g} for gid, g in groups.items()]}
    )


@pytest.fixture(scope="module")
def derived(toy: AddressRegister) -> ZoneSet:
    s = spec(
        west={"streets": [{"name": "Weststraat"}, {"name": "Middenstraat", "numbers": "even"}]},
        rest={"fill_area": "heel"},
    )
    return derive_zones(s, toy, BOUNDARY, {"heel": to_l72(BOUNDARY)})


def owner(reg: AddressRegister, a: int) -> str:
    street = reg.streets[int(reg.street_of[a])].name
    number = int(reg.housenumbers[a])
    return (
        "west"
        if street == "Weststraat" or (street == "Middenstraat" and number % 2 == 0)
        else "rest"
    )


def test_derived_zones_do_not_overlap(derived: ZoneSet) -> None:
    assert [z.id for z in derived] == ["west", "rest"]
    for a, b in itertools.combinations(derived, 2):
        assert shapely.intersection(a.geometry_l72, b.geometry_l72).area < 1.0


def test_each_group_covers_its_own_addresses_only(derived: ZoneSet, toy: AddressRegister) -> None:
    for a in range(len(toy)):
        if not toy.positioned[a]:
            continue
        p = shapely.Point(toy.x[a], toy.y[a])
        covering = {z.id for z in derived if z.geometry_l72.covers(p)}
        assert covering == {owner(toy, a)}, toy.address(a).label()


def test_derived_zones_validate_and_stay_inside(derived: ZoneSet) -> None:
    assert check_zone_set(derived, to_l72(BOUNDARY)) == []
    assert sum(z.geometry_l72.area for z in derived) <= to_l72(BOUNDARY).area + 1.0


def test_filled_group_gets_inferred_street_rules(derived: ZoneSet) -> None:
    rest = derived.get("rest")
    assert [r.describe() for r in rest.props.streets] == [
        "Middenstraat (oneven nrs.)",
        "Ooststraat",
    ]
    # The spec's own streets stay as given.
    assert [r.describe() for r in derived.get("west").props.streets] == [
        "Weststraat",
        "Middenstraat (even nrs.)",
    ]


def test_assigning_the_derived_zones_gives_back_the_groups(
    derived: ZoneSet, toy: AddressRegister
) -> None:
    table, conflicts = assign(derived, toy)
    assert conflicts == []
    for a in range(len(toy)):
        assert table[a].zone_ids == (owner(toy, a),), toy.address(a).label()
        assert table[a].source == "street"


def test_fill_area_must_exist(toy: AddressRegister) -> None:
    with pytest.raises(ZoneFileError, match="fill_area 'nergens'"):
        derive_zones(spec(rest={"fill_area": "nergens"}), toy, BOUNDARY, {"heel": to_l72(BOUNDARY)})


def test_group_without_positioned_addresses_is_refused(toy: AddressRegister) -> None:
    s = spec(
        west={"streets": [{"name": "Weststraat"}]}, leeg={"streets": [{"name": "Nergensstraat"}]}
    )
    with pytest.raises(ZoneFileError, match="group 'leeg'"):
        derive_zones(s, toy, BOUNDARY)


def test_illustrative_infoborden_stand_in_their_zone(
    derived: ZoneSet, toy: AddressRegister
) -> None:
    data = illustrative_infoborden(derived, toy)
    borden = [InfobordFeature.model_validate(f) for f in data["features"]]
    assert [b.properties.zone_id for b in borden] == ["west", "rest"]
    for bord in borden:
        assert bord.properties.illustrative
        lon, lat = bord.geometry.coordinates[0], bord.geometry.coordinates[1]
        p = to_l72(shapely.Point(lon, lat))
        assert derived.get(bord.properties.zone_id).geometry_l72.distance(p) < 0.02


def test_illustrative_infobord_is_where_the_first_street_begins(
    derived: ZoneSet, toy: AddressRegister
) -> None:
    west = illustrative_infoborden(derived, toy)["features"][0]
    # Weststraat 1 is the lowest number of west's first listed street.
    (a,) = toy.find(next(s.id for s in toy.streets if s.name == "Weststraat"), "1")
    assert west["geometry"]["coordinates"] == [
        round(float(toy.lon[a]), 7),
        round(float(toy.lat[a]), 7),
    ]


# -- the shipped dataset ------------------------------------------------------------------------


def test_shipped_spec_loads() -> None:
    s = load_spec(DATA / "zones.spec.json")
    assert len(s.groups) == 9
    assert {g.id for g in s.groups if g.fill_area} == {"terkoest", "sint-joris"}


def test_bad_spec_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"groups": [{"id": "Sint Joris", "name": "x"}]}), encoding="utf-8")
    with pytest.raises(ZoneFileError, match=r"groups\.0\.id"):
        load_spec(path)
    with pytest.raises(ZoneFileError, match="no such file"):
        load_spec(tmp_path / "nope.json")


def test_shipped_zones_are_what_the_spec_derives(alken: Dataset) -> None:
    # Provenance: data/zones.geojson is the output of `wabp derive-zones` on data/zones.spec.json.
    derived = derive_from_files(DATA / "zones.spec.json", alken.register, DATA / "boundary.geojson")
    assert [z.id for z in derived] == [z.id for z in alken.zones]
    for new, shipped in zip(derived, alken.zones, strict=True):
        assert new.props == shipped.props
        assert new.geometry_l72.symmetric_difference(shipped.geometry_l72).area < 1.0


def test_shipped_infoborden_stand_in_their_zone(alken: Dataset) -> None:
    assert sorted(b.properties.zone_id for b in alken.infoborden) == sorted(
        z.id for z in alken.zones
    )
    for bord in alken.infoborden:
        lon, lat = bord.geometry.coordinates[0], bord.geometry.coordinates[1]
        zones = alken.index.covering(LambertXY(*to_l72(shapely.Point(lon, lat)).coords[0]))
        assert bord.properties.zone_id in zones
