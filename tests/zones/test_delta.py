"""A new zone side from an old one recomputes only what a change can affect, and gets it right.

Every case compares the delta (`Dataset.with_zones`) with a full assignment of the same zone set
on the same register side: primary zones, sources, shared-border zones, near-boundary flags, rule
conflicts and problems must be identical.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely import affinity

from geo.spatial import PointGrid
from tests.common import collection, feature, point_in_a, register, zone_a, zone_b_sharing_edge
from zones.assign import SOURCES, AssignmentTable, assign
from zones.dataset import Dataset, DatasetMeta, DatasetPaths
from zones.delta import changed_zones
from zones.lookup import Locator
from zones.register_side import RegisterSide
from zones.schema import NumberRange, StreetRule, Zone, ZoneSet
from zones.storage import zones_from_geojson
from zones.zone_side import ZoneSide


def assert_same_table(delta: AssignmentTable, full: AssignmentTable) -> None:
    assert delta.zone_ids == full.zone_ids
    np.testing.assert_array_equal(delta.primary, full.primary)
    np.testing.assert_array_equal(delta.source, full.source)
    assert delta.extra == full.extra
    assert delta.near == full.near


def assert_delta_is_full(ds: Dataset, zones: ZoneSet) -> Dataset:
    delta = ds.with_zones(zones)
    full = ZoneSide.build(ds.base, zones, strict=False)
    assert_same_table(delta.table, full.table)
    assert delta.side.conflicts == full.conflicts
    assert delta.problems == full.problems
    return delta


def _with(zone: Zone, **changes: object) -> Zone:
    geometry = changes.pop("geometry", zone.geometry)
    return Zone(zone.props.model_copy(update=changes), geometry)  # type: ignore[arg-type]


def random_edit(zones: ZoneSet, rng: random.Random, streets: list[str]) -> ZoneSet:
    """Return `zones` with one random change: a shape moved, grown or shrunk, a rule changed, ..."""
    out = list(zones)
    i = rng.randrange(len(out))
    zone = out[i]
    kind = rng.choice(["move", "grow", "shrink", "drop_rule", "range", "add_rule", "retire"])
    if kind == "move":  # ~35 m: addresses near the border change zone
        dx, dy = rng.choice([(0.0005, 0), (-0.0005, 0), (0, 0.0003), (0, -0.0003)])
        out[i] = _with(zone, geometry=affinity.translate(zone.geometry, dx, dy))
    elif kind in ("grow", "shrink"):
        d = 0.0004 if kind == "grow" else -0.0004
        shape = zone.geometry.buffer(d, join_style="mitre")
        if shape.is_empty or not shape.is_valid:
            return zones
        out[i] = _with(zone, geometry=shape)
    elif kind == "drop_rule" and zone.props.streets:
        rules = list(zone.props.streets)
        rules.pop(rng.randrange(len(rules)))
        out[i] = _with(zone, streets=rules)
    elif kind == "range":
        rule = StreetRule(name=rng.choice(streets), numbers=NumberRange(**{"from": 1, "to": 40}))
        out[i] = _with(zone, streets=[*zone.props.streets, rule])
    elif kind == "add_rule":  # a whole street, often one another zone's rules name too (conflicts)
        out[i] = _with(zone, streets=[*zone.props.streets, StreetRule(name=rng.choice(streets))])
    elif kind == "retire":
        out[i] = _with(zone, status="retired")
    return ZoneSet(out)


@pytest.mark.parametrize("seed", range(8))
def test_random_edits_give_the_full_assignment(alken: Dataset, seed: int) -> None:
    rng = random.Random(seed)
    streets = sorted({s.name for s in alken.register.streets})
    current, zones = alken, alken.zones
    for _ in range(3):  # a chain: each delta starts from the previous delta's zone side
        zones = random_edit(zones, rng, streets)
        current = assert_delta_is_full(current, zones)


def test_a_new_zone_and_a_removed_one(alken: Dataset) -> None:
    first = alken.zones.zones[0]
    added = Zone(
        first.props.model_copy(update={"id": "nieuw", "name": "WABP Nieuw", "streets": []}),
        affinity.translate(first.geometry, 0.0, 0.0).buffer(0.001).difference(first.geometry),
    )
    assert_delta_is_full(alken, ZoneSet([*alken.zones.zones[1:], added]))


def test_a_reordered_zone_set_is_assigned_in_full(alken: Dataset) -> None:
    reordered = ZoneSet(list(reversed(alken.zones.zones)))
    assert changed_zones(alken.zones, reordered) is None
    assert_delta_is_full(alken, reordered)


def test_an_unchanged_zone_set_recomputes_nothing(alken: Dataset) -> None:
    assert changed_zones(alken.zones, alken.zones) == set()
    again = assert_delta_is_full(alken, alken.zones)
    assert again.base is alken.base  # the register side is shared, never rebuilt


def test_members_are_the_primary_and_shared_border_addresses(alken: Dataset) -> None:
    table = alken.table
    for zone in alken.zones:
        expected = [a for a in range(len(table)) if zone.id in table.zones_of(a)]
        assert table.members(zone.id).tolist() == expected
    assert table.members("no-such-zone").tolist() == []


def test_point_grid_boxes_hold_every_point_inside() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 5000, 2000), rng.uniform(0, 3000, 2000)
    x[::7] = np.nan  # no position: never returned
    grid = PointGrid(x, y, cell=300.0)
    for box in [
        (100, 100, 900, 700),
        (-50, -50, 10, 10),
        (4990, 2990, 6000, 4000),
        (7e3, 0, 8e3, 1),
    ]:
        found = set(grid.in_box(*box).tolist())
        inside = {i for i in range(len(x)) if box[0] <= x[i] <= box[2] and box[1] <= y[i] <= box[3]}
        assert inside <= found
        assert not any(np.isnan(x[i]) for i in found)


def test_a_missing_number_uses_the_streets_the_rule_names(tmp_path: Path) -> None:
    # The rule names Kerkstraat without a postcode: only the Kerkstraat near the zone is meant (as
    # assignment decides). A number missing from the register on the far Kerkstraat (9000) must not
    # be given the zone by that rule; its neighbours (in no zone) decide.
    reg = register(
        ("Kerkstraat", "1", point_in_a.x, point_in_a.y, "3570"),
        ("Kerkstraat", "1", 4.0, 51.0, "9000"),
        ("Kerkstraat", "5", 4.0001, 51.0, "9000"),
    )
    zones = zones_from_geojson(
        collection(
            feature("west", zone_a, streets=[{"name": "Kerkstraat"}]),
            feature("oost", zone_b_sharing_edge),
        )
    )
    base = RegisterSide.build(reg)
    ds = Dataset(DatasetPaths(tmp_path), DatasetMeta(), base, ZoneSide.build(base, zones))
    locator = Locator(ds)
    far = locator.lookup("Kerkstraat 3, 9000")
    assert far.status == "no_zone"
    near = locator.lookup("Kerkstraat 3, 3570")
    assert [z.id for z in near.zones] == ["west"]
    assert shapely.Point(4.0, 51.0).distance(zone_a) > 1  # the far street is really far


@pytest.mark.parametrize(
    ("points", "neighbours", "threads"),
    [(0, 0, 1), (0, 0, 2), (10**9, 10**9, 1)],
    ids=["bulk paths", "bulk paths, zones on two threads", "one by one"],
)
def test_bulk_and_one_by_one_assignment_agree(
    alken: Dataset, monkeypatch: pytest.MonkeyPatch, points: int, neighbours: int, threads: int
) -> None:
    # Many points are tested polygon by polygon and neighbours found by one sort; a few go through
    # the tree and a loop. Both ways must give the table that the other gives.
    monkeypatch.setattr("geo.spatial.BULK_POINTS", points)
    monkeypatch.setattr("zones.assign.BULK_NEIGHBOURS", neighbours)
    monkeypatch.setattr("geo.spatial.ZONES_PER_THREAD", 1)
    monkeypatch.setattr("geo.threads.workers", lambda: threads)
    table, conflicts = assign(alken.zones, alken.register)
    assert_same_table(table, alken.table)
    assert conflicts == alken.side.conflicts
    assert len(alken.table.near) > 0
    assert np.count_nonzero(alken.table.source == SOURCES.index("neighbours")) > 50
