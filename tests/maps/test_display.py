"""Display simplification never moves an address to another zone on screen (Alken, every address).

The outlines are read back from the page the way ``zones.js`` reads them (integers, steps) and
tested against every positioned register address: shown only inside zones that hold it exactly, and
inside at least one of them. The coarse levels alone would break this, so the check is not idle.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from maps.display import levels_for
from maps.public import prepare_zones, render_public_map
from zones.dataset import Dataset
from zones.schema import to_wgs84

DATA_SCRIPT = re.compile(
    r'<script type="application/json" id="wabp-zone-data">(.*?)</script>', re.S
)


def shown_outlines(page: str) -> dict[str, BaseGeometry]:
    """Decode the zone outlines of a rendered page (independently of maps.zonedata)."""
    match = DATA_SCRIPT.search(page)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    out = {}
    for entry in data["zones"]:
        scale = 10 ** entry["d"]
        polygons = []
        for polygon in entry["g"]:
            rings = [np.cumsum(np.reshape(steps, (-1, 2)), axis=0) / scale for steps in polygon]
            polygons.append(Polygon(rings[0], rings[1:]))
        out[entry["id"]] = MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]
    return out


def misplaced(
    exact: list[BaseGeometry], shown: list[BaseGeometry], points: npt.NDArray[Any]
) -> tuple[int, int]:
    """Return (addresses shown in a zone that does not hold them, addresses shown in none of theirs)."""
    holds = np.array([shapely.covers(g, points) for g in exact])
    drawn = np.array([shapely.covers(g, points) for g in shown])
    wrong = (drawn & ~holds).any(axis=0)
    lost = holds.any(axis=0) & ~(drawn & holds).any(axis=0)
    return int(wrong.sum()), int(lost.sum())


@pytest.fixture(scope="module")
def points(alken_data: Dataset) -> npt.NDArray[Any]:
    register = alken_data.register
    return shapely.points(register.lon[register.positioned], register.lat[register.positioned])


@pytest.mark.parametrize("tolerance_m", [10.0, 25.0, 40.0, 80.0])
def test_no_address_changes_zone_on_screen(
    alken_data: Dataset, points: npt.NDArray[Any], tolerance_m: float
) -> None:
    prepared = prepare_zones(alken_data, tolerance_m)
    page = render_public_map(alken_data, prepared=prepared)
    zones = alken_data.zones.active()
    shown = shown_outlines(page)
    assert list(shown) != [] and set(shown) == {z.id for z in zones}
    assert misplaced([z.geometry for z in zones], [shown[z.id] for z in zones], points) == (0, 0)
    # ... and the page is lighter for it.
    assert prepared.display.vertices < prepared.display.exact_vertices


def test_coarse_outlines_alone_would_move_addresses(
    alken_data: Dataset, points: npt.NDArray[Any]
) -> None:
    """Without the address check, 40 m simplification puts some houses in the wrong zone."""
    zones = alken_data.zones.active()
    coarse = levels_for(40.0)[0]
    l72 = np.array([z.geometry_l72 for z in zones], dtype=object)
    simplified = shapely.coverage_simplify(l72, coarse.tolerance_m)
    naive = [
        shapely.transform(to_wgs84(g), lambda c: np.round(c, coarse.decimals)) for g in simplified
    ]
    wrong, lost = misplaced([z.geometry for z in zones], naive, points)
    assert wrong + lost > 0
    checked = prepare_zones(alken_data, 40.0).display
    assert checked.refined() != [] and checked.unresolved == 0


def test_shared_borders_stay_shared(alken_data: Dataset) -> None:
    """Simplified over the whole coverage: no gap or overlap opens between neighbouring zones."""
    zones = alken_data.zones.active()
    exact = [z.geometry for z in zones]
    shown = list(prepare_zones(alken_data, 10.0).display.geometries.values())

    def overlap(shapes: list[BaseGeometry]) -> float:
        return sum(g.area for g in shapes) - shapely.union_all(shapes).area

    def holes(shapes: list[BaseGeometry]) -> int:
        union = shapely.union_all(shapes)
        parts = list(union.geoms) if isinstance(union, MultiPolygon) else [union]
        return sum(len(p.interiors) for p in parts)

    # In square degrees: 1e-9 is about 7 m² in Belgium.
    assert overlap(shown) < overlap(exact) + 1e-9
    assert holes(shown) <= holes(exact)
    assert shapely.union_all(shown).area == pytest.approx(shapely.union_all(exact).area, rel=2e-3)
