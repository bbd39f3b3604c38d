"""Point-in-polygon lookup with *covers* semantics: a point on a shared border is in both zones."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.crs import LambertXY, LonLat, to_lambert72
from geo.spatial import PolygonIndex
from tests.common import (
    point_between_parts,
    point_in_a,
    point_in_b,
    point_in_hole,
    point_in_ring,
    point_in_second_part,
    point_on_border,
    point_outside,
    zone_a,
    zone_b_sharing_edge,
    zone_multi,
    zone_with_hole,
)
from zones.schema import to_l72


def l72(p: Point) -> LambertXY:
    return to_lambert72(LonLat(p.x, p.y))


@pytest.fixture(scope="module")
def index() -> PolygonIndex:
    geometries = [zone_a, zone_b_sharing_edge, zone_with_hole, zone_multi]
    return PolygonIndex(["a", "b", "hole", "multi"], [to_l72(g) for g in geometries])


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        pytest.param(point_on_border, ["a", "b"], id="on the shared border: both"),
        pytest.param(point_in_a, ["a"], id="inside a"),
        pytest.param(point_in_b, ["b"], id="inside b"),
        pytest.param(point_outside, [], id="outside all"),
        pytest.param(point_in_hole, [], id="in the hole"),
        pytest.param(point_in_ring, ["hole"], id="around the hole"),
        pytest.param(Point(5.303, 50.883), ["hole"], id="on a corner of the hole"),
        pytest.param(point_in_second_part, ["multi"], id="second part of a MultiPolygon"),
        pytest.param(point_between_parts, [], id="between the parts"),
        pytest.param(Point(5.28, 50.87), ["a"], id="corner of a"),
    ],
)
def test_covering(index: PolygonIndex, point: Point, expected: list[str]) -> None:
    assert index.covering(l72(point)) == expected


def test_covering_many_agrees_with_covering(index: PolygonIndex) -> None:
    points = [point_on_border, point_in_a, point_in_b, point_outside, point_in_hole, point_in_ring]
    xy = np.array([l72(p) for p in points])
    pts, polys = index.covering_many(xy[:, 0], xy[:, 1])
    pairs = sorted(zip(pts.tolist(), polys.tolist(), strict=True))
    expected = sorted(
        (i, index.keys.index(k)) for i, p in enumerate(points) for k in index.covering(l72(p))
    )
    assert pairs == expected


def test_within_finds_zones_near_a_point() -> None:
    index = PolygonIndex(["a", "b"], [to_l72(zone_a), to_l72(zone_b_sharing_edge)])
    # point_outside is 0.01 degree (about 700 m) east of zone b's east edge.
    assert index.within(l72(point_outside), 600.0) == []
    assert index.within(l72(point_outside), 800.0) == ["b"]
    x, y = l72(point_in_a)
    assert index.within(LambertXY(x, y), 1.0) == ["a"]
    pts, polys = index.within_many(np.array([x]), np.array([y]), 1.0)
    assert (pts.tolist(), polys.tolist()) == ([0], [0])


def test_keys_and_geometries_must_pair_up() -> None:
    with pytest.raises(ValueError, match="one key per geometry"):
        PolygonIndex(["a", "b"], [to_l72(zone_a)])


def test_empty_index_finds_nothing() -> None:
    index = PolygonIndex([], [])
    assert len(index) == 0
    assert index.covering(l72(point_in_a)) == []


# Random polygons in Lambert 72 around Alken: convex hulls of a few points, or buffered points.
_coord_x = st.floats(min_value=208_000, max_value=218_000, allow_nan=False)
_coord_y = st.floats(min_value=170_000, max_value=178_000, allow_nan=False)
_hull = st.lists(st.tuples(_coord_x, _coord_y), min_size=3, max_size=8).map(
    lambda pts: shapely.convex_hull(shapely.multipoints(pts))
)
_disc = st.tuples(_coord_x, _coord_y, st.floats(min_value=1, max_value=2_000)).map(
    lambda t: Point(t[0], t[1]).buffer(t[2])
)
polygons = st.one_of(_hull, _disc).filter(lambda g: g.geom_type == "Polygon" and g.area > 1.0)


@given(st.lists(polygons, min_size=1, max_size=6))
def test_every_zone_contains_its_representative_point(geometries: list[BaseGeometry]) -> None:
    index = PolygonIndex([f"z{i}" for i in range(len(geometries))], geometries)
    for i, g in enumerate(geometries):
        p = g.representative_point()
        assert f"z{i}" in index.covering(LambertXY(p.x, p.y))


@given(_coord_x, _coord_y)
def test_covering_is_exactly_the_covers_predicate(x: float, y: float) -> None:
    geometries = [to_l72(g) for g in (zone_a, zone_b_sharing_edge, zone_with_hole, zone_multi)]
    index = PolygonIndex(["a", "b", "hole", "multi"], geometries)
    expected = [k for k, g in zip(index.keys, geometries, strict=True) if g.covers(Point(x, y))]
    assert index.covering(LambertXY(x, y)) == expected
