"""Assigning register addresses to zones: street rules first, the polygon otherwise."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import shapely

from geo.crs import LambertXY
from geo.housenumber import parse_register_number
from tests.common import (
    collection,
    feature,
    point_in_a,
    point_in_b,
    point_on_border,
    register,
    zone_a,
    zone_b_sharing_edge,
)
from zones.assign import NEAR_DISTANCE_M, AddressZones, assign, street_claims
from zones.dataset import Dataset
from zones.schema import ZoneSet
from zones.storage import zones_from_geojson

# -- the shipped dataset ---------------------------------------------------------------------


def point(ds: Dataset, a: int) -> shapely.Point:
    return shapely.Point(ds.register.x[a], ds.register.y[a])


def test_every_heiligenbornstraat_address_is_in_heiligenborn(alken: Dataset) -> None:
    reg = alken.register
    ids = [a for s in reg.streets if s.name == "Heiligenbornstraat" for a in reg.on_street(s.id)]
    assert len(ids) == 66
    assert {alken.table[a] for a in ids} == {AddressZones(("heiligenborn",), "street")}


def test_street_rules_decide_first(alken: Dataset) -> None:
    # Worked out from the zone file, independently of zones.assign: every number a deciding rule
    # covers is in that rule's zone, whatever its position.
    reg = alken.register
    by_name = defaultdict(list)
    for s in reg.streets:
        by_name[s.name].append(s.id)
    checked = 0
    for zone in alken.zones.active():
        for rule in zone.props.streets:
            if not rule.decides():
                continue
            for sid in by_name[rule.name]:
                for a in reg.on_street(sid):
                    if rule.covers(parse_register_number(reg.housenumbers[a])):
                        assert alken.table[a].zone_ids == (zone.id,), reg.address(a).label()
                        assert alken.table[a].source == "street"
                        checked += 1
    assert checked == sum(1 for row in alken.table if row.source == "street") > 2000


def test_split_street_follows_its_number_ranges(alken: Dataset) -> None:
    # Hulzenstraat: 1-28 is Terkoest, 33-164 Sint-Joris.
    reg = alken.register
    (sid,) = [s.id for s in reg.streets if s.name == "Hulzenstraat"]
    for a in reg.on_street(sid):
        n = parse_register_number(reg.housenumbers[a])
        assert n is not None
        row = alken.table[a]
        if 1 <= n.number <= 28:
            assert row == AddressZones(("terkoest",), "street")
        elif 33 <= n.number <= 164:
            assert row == AddressZones(("sint-joris",), "street")
        else:
            assert row.source != "street"


def test_no_rule_conflicts_in_the_shipped_zones(alken: Dataset) -> None:
    _, conflicts = assign(alken.zones, alken.register)
    assert conflicts == []


def test_no_address_in_two_zones_except_on_a_shared_border(alken: Dataset) -> None:
    for a, row in enumerate(alken.table):
        if len(row.zone_ids) > 1:
            assert row.source == "polygon"
            for zid in row.zone_ids:
                assert alken.zones.get(zid).geometry_l72.boundary.distance(point(alken, a)) < 1e-6


def test_polygon_addresses_are_covered_by_exactly_their_zones(alken: Dataset) -> None:
    rows = [(a, row) for a, row in enumerate(alken.table) if row.source == "polygon"]
    assert len(rows) > 100
    for a, row in rows:
        p = point(alken, a)
        covering = tuple(z.id for z in alken.zones.active() if z.geometry_l72.covers(p))
        assert row.zone_ids == covering


def test_none_means_no_rule_and_no_polygon(alken: Dataset) -> None:
    for a, row in enumerate(alken.table):
        if row.source != "none":
            continue
        assert row.zone_ids == ()
        if alken.register.positioned[a]:
            xy = LambertXY(float(alken.register.x[a]), float(alken.register.y[a]))
            assert alken.index.covering(xy) == []


def test_counts_per_zone(alken: Dataset) -> None:
    expected: Counter[str] = Counter(z for row in alken.table for z in row.zone_ids)
    assert alken.table.counts() == expected
    assert set(expected) == {z.id for z in alken.zones}


def test_near_marks_exist_only_for_polygon_addresses(alken: Dataset) -> None:
    # Street rules do not depend on the position, so a street-decided address is never "near".
    # A polygon-decided one is near every other zone within NEAR_DISTANCE_M.
    marked = [(a, row) for a, row in enumerate(alken.table) if row.near]
    assert marked
    for a, row in marked:
        assert row.source == "polygon"
        assert not set(row.near) & set(row.zone_ids)
        for zid in row.near:
            zone = alken.zones.get(zid).geometry_l72
            assert 0 < zone.distance(point(alken, a)) <= NEAR_DISTANCE_M + 1e-6


def test_every_polygon_address_within_reach_of_another_zone_is_marked(alken: Dataset) -> None:
    for a, row in enumerate(alken.table):
        if row.source != "polygon":
            continue
        p = point(alken, a)
        expected = tuple(
            z.id
            for z in alken.zones.active()
            if z.id not in row.zone_ids and z.geometry_l72.distance(p) <= NEAR_DISTANCE_M
        )
        assert row.near == expected


def test_unpositioned_addresses_follow_a_rule_or_agreeing_neighbours(alken: Dataset) -> None:
    # Without a position, only a street rule or the neighbours on the same side can decide; the
    # neighbours are worked out here from the register, independently of zones.assign.
    reg = alken.register
    seen = set()
    for a, row in enumerate(alken.table):
        if reg.positioned[a]:
            continue
        seen.add(row.source)
        assert row.source in ("street", "neighbours", "none")
        assert row.near == ()
        if row.source != "neighbours":
            continue
        n = parse_register_number(reg.housenumbers[a])
        assert n is not None
        side = [
            (m.number, b)
            for b in reg.on_street(int(reg.street_of[a]))
            if reg.positioned[b]
            and (m := parse_register_number(reg.housenumbers[b])) is not None
            and m.parity == n.parity
            and m.number != n.number
            and alken.table[b].source != "none"
        ]
        below = max((t for t in side if t[0] < n.number), default=None)
        above = min((t for t in side if t[0] > n.number), default=None)
        around = {alken.table[t[1]].zone_ids for t in (below, above) if t is not None}
        assert around == {row.zone_ids}, reg.address(a).label()
    assert {"street", "neighbours"} <= seen


# -- small synthetic cases ---------------------------------------------------------------------


def two_squares(west_streets: list[dict[str, object]] | None = None, **east: object) -> ZoneSet:
    """Return zones west (zone_a) and oost (zone_b_sharing_edge) with the given rules/properties."""
    return zones_from_geojson(
        collection(
            feature("west", zone_a, streets=west_streets or []),
            feature("oost", zone_b_sharing_edge, **east),
        )
    )


def test_point_on_a_shared_border_is_in_both_zones() -> None:
    reg = register(("Grensstraat", "1", point_on_border.x, point_on_border.y))
    table, _ = assign(two_squares(), reg)
    assert list(table) == [AddressZones(("west", "oost"), "polygon")]


def test_address_near_the_border_is_marked() -> None:
    # 0.00005 degrees west of the border is about 3.5 m: inside west, near oost.
    reg = register(
        ("Grensstraat", "1", 5.28995, 50.875),
        ("Grensstraat", "3", point_in_a.x, point_in_a.y),
        ("Grensstraat", "5", 5.31, 50.875),  # 700 m east of oost: in no zone
        ("Grensstraat", "7", 5.30005, 50.875),  # 3.5 m east of oost: in no zone, not marked
    )
    table, _ = assign(two_squares(), reg)
    assert list(table) == [
        AddressZones(("west",), "polygon", ("oost",)),
        AddressZones(("west",), "polygon"),
        AddressZones((), "none"),
        AddressZones((), "none"),
    ]
    close, _ = assign(two_squares(), reg, near_distance=1.0)
    assert close[0] == AddressZones(("west",), "polygon")


def test_rule_beats_polygon_and_partial_leaves_it_to_the_polygon() -> None:
    reg = register(
        ("Steenweg", "2", point_in_b.x, point_in_b.y),  # even, but standing in oost's polygon
        ("Steenweg", "3", point_in_a.x, point_in_a.y),  # odd, standing in west's polygon
    )
    zones = two_squares(
        [{"name": "Steenweg", "numbers": "even"}],
        streets=[{"name": "Steenweg", "numbers": "partial"}],
    )
    table, conflicts = assign(zones, reg)
    assert list(table) == [AddressZones(("west",), "street"), AddressZones(("west",), "polygon")]
    assert conflicts == []


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        pytest.param(
            [point_in_a, point_in_a], AddressZones(("west",), "neighbours"), id="3 and 7 agree"
        ),
        pytest.param([point_in_a, point_in_b], AddressZones((), "none"), id="3 and 7 disagree"),
        pytest.param(
            [point_in_a, None], AddressZones(("west",), "neighbours"), id="only 3 has a position"
        ),
    ],
)
def test_unpositioned_address_takes_the_zone_its_neighbours_agree_on(
    positions: list[shapely.Point | None], expected: AddressZones
) -> None:
    # Steenweg 5 has no position; 3 and 7 are its neighbours on the odd side, 4 stands opposite.
    p3, p7 = positions
    reg = register(
        ("Steenweg", "3", p3.x, p3.y),
        ("Steenweg", "4", point_in_b.x, point_in_b.y),
        ("Steenweg", "5", None, None),
        ("Steenweg", "7", p7.x if p7 else None, p7.y if p7 else None),
    )
    table, _ = assign(two_squares(), reg)
    assert table[2] == expected


def test_rules_without_postcode_reach_only_streets_near_the_zone() -> None:
    # The same name in another postcode, 90 km away, is another street.
    reg = register(
        ("Kerkstraat", "1", point_in_a.x, point_in_a.y, "3570"),
        ("Kerkstraat", "1", 4.0, 51.0, "9000"),
    )
    claims = street_claims(two_squares([{"name": "Kerkstraat"}]), reg)
    assert claims == {0: ["west"]}
    with_postcode = street_claims(two_squares([{"name": "Kerkstraat", "postcode": "9000"}]), reg)
    assert with_postcode == {1: ["west"]}


def test_proposed_zones_take_no_addresses() -> None:
    reg = register(("Steenweg", "1", point_in_b.x, point_in_b.y))
    zones = two_squares(status="proposed", streets=[{"name": "Steenweg"}])
    table, _ = assign(zones, reg)
    assert list(table) == [AddressZones((), "none")]


@pytest.mark.parametrize(
    "numbers", ["odd", {"from": 1, "to": 1}, {"from": 1, "to": 9, "parity": "odd"}]
)
def test_conflicting_rules_are_reported(numbers: object) -> None:
    # West claims the whole Steenweg, oost claims number 1 too; number 2 stays west's alone.
    reg = register(
        ("Steenweg", "1", point_in_b.x, point_in_b.y), ("Steenweg", "2", point_in_a.x, point_in_a.y)
    )
    zones = two_squares([{"name": "Steenweg"}], streets=[{"name": "Steenweg", "numbers": numbers}])
    table, conflicts = assign(zones, reg)
    assert [(c.address_id, c.zone_ids) for c in conflicts] == [(0, ("west", "oost"))]
    assert table[0] == AddressZones(("west", "oost"), "street")
    assert table[1] == AddressZones(("west",), "street")
