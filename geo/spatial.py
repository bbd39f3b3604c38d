"""Point-to-polygon lookup with *covers* semantics over a shapely STRtree.

A point on a border shared by two polygons belongs to both (``covered_by``, not ``within``), and a
lookup returns every polygon that covers the point, never just the first. Coordinates are Lambert 72.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from geo.crs import FloatArray, LambertXY
from geo.threads import map_parts

# From this many points on, testing each polygon against the points of its box beats the tree.
BULK_POINTS = 20_000
# Zones per thread in a bulk test (all of Flanders: 2,767 zones).
ZONES_PER_THREAD = 200


def _pairs(
    parts: list[tuple[npt.NDArray[np.int64], int]],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    if not parts:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    pts = np.concatenate([p for p, _ in parts]).astype(np.intp)
    polys = np.concatenate([np.full(len(p), i, dtype=np.intp) for p, i in parts])
    return pts, polys


class PolygonIndex:
    """An immutable spatial index of keyed polygons (Lambert 72)."""

    def __init__(self, keys: Sequence[str], geometries: Sequence[BaseGeometry]) -> None:
        if len(keys) != len(geometries):
            raise ValueError("one key per geometry")
        self.keys = list(keys)
        self.geometries = list(geometries)
        shapely.prepare(self.geometries)
        self._tree = STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def covering(self, p: LambertXY) -> list[str]:
        """Return the keys of every polygon that covers the point, in index order."""
        hits = self._tree.query(shapely.Point(p.x, p.y), predicate="covered_by")
        return [self.keys[i] for i in sorted(hits.tolist())]

    def intersecting(self, geometry: BaseGeometry) -> list[BaseGeometry]:
        """Return the polygons that intersect a geometry, in index order."""
        hits = self._tree.query(geometry, predicate="intersects")
        return [self.geometries[i] for i in sorted(hits.tolist())]

    def within(self, p: LambertXY, distance: float) -> list[str]:
        """Return the keys of every polygon within `distance` metres of the point."""
        hits = self._tree.query(shapely.Point(p.x, p.y), predicate="dwithin", distance=distance)
        return [self.keys[i] for i in sorted(hits.tolist())]

    def covering_many(
        self, x: FloatArray, y: FloatArray
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Return (point index, polygon index) pairs for every polygon covering each point."""
        points = shapely.points(x, y)
        pairs = self._tree.query(points, predicate="covered_by")
        return pairs[0], pairs[1]

    def covering_and_near(
        self, x: FloatArray, y: FloatArray, distance: float
    ) -> tuple[
        npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]
    ]:
        """Return (point, polygon) pairs that cover, and pairs within `distance` that do not.

        The same answer as `covering_many` and `within_many` (minus the covering pairs), computed
        the other way round for many points: each prepared polygon tests the points of its box
        (no point objects for the covering test; a point intersects a polygon exactly when the
        polygon covers it). Few points go through the tree instead.
        """
        if len(x) < BULK_POINTS:
            pts, polys = self.covering_many(x, y)
            near_pts, near_polys = self.within_many(x, y, distance)
            covering = set(zip(pts.tolist(), polys.tolist(), strict=True))
            keep = np.array(
                [
                    (p, g) not in covering
                    for p, g in zip(near_pts.tolist(), near_polys.tolist(), strict=True)
                ],
                dtype=bool,
            )
            return pts, polys, near_pts[keep], near_polys[keep]
        grid = PointGrid(x, y)
        geoms = np.asarray(self.geometries, dtype=object)

        def zones_part(
            zones: range,
        ) -> tuple[
            list[tuple[npt.NDArray[np.int64], int]], list[tuple[npt.NDArray[np.int64], int]]
        ]:
            # A band that holds every point within `distance`, with room to spare: a round buffer
            # is a polygon inscribed in the circle and GEOS simplifies its input a little (a band
            # of exactly `distance` with 2 segments a quadrant missed a point at 14.9 m in
            # Flanders). Points outside the band are left alone; those in it, outside the zone,
            # tested exactly.
            reach = 2.0 * distance + 1.0
            shapes = geoms[zones.start : zones.stop]
            bands = shapely.buffer(shapes, reach)
            # An invalid shape's buffer need not hold all of it: its box does.
            invalid = ~shapely.is_valid(shapes)
            bands[invalid] = shapely.buffer(shapely.envelope(shapes[invalid]), reach)
            shapely.prepare(bands)
            cover: list[tuple[npt.NDArray[np.int64], int]] = []
            near: list[tuple[npt.NDArray[np.int64], int]] = []
            for i, geom, band in zip(zones, shapes.tolist(), bands.tolist(), strict=True):
                if shapely.is_empty(band):
                    continue
                xmin, ymin, xmax, ymax = shapely.bounds(band).tolist()
                box = grid.in_box(xmin, ymin, xmax, ymax)
                if not len(box):
                    continue
                # The grid's cells reach past the band's box: those points cannot touch the band
                # (a quarter of them in Flanders), and comparing numbers costs far less than GEOS.
                bx, by = x[box], y[box]
                box = box[(bx >= xmin) & (bx <= xmax) & (by >= ymin) & (by <= ymax)]
                box = box[shapely.intersects_xy(band, x[box], y[box])]
                inside = shapely.intersects_xy(geom, x[box], y[box])
                cover.append((box[inside], i))
                rest = box[~inside]
                if len(rest):
                    close = shapely.dwithin(geom, shapely.points(x[rest], y[rest]), distance)
                    near.append((rest[close], i))
            return cover, near

        # Each thread tests its own zones (a prepared shape is never shared between threads);
        # the parts come back in zone order, as one pass over all zones gives them.
        done = map_parts(zones_part, len(geoms), ZONES_PER_THREAD)
        cover_parts = [p for c, _ in done for p in c]
        near_parts = [p for _, n in done for p in n]
        return (*_pairs(cover_parts), *_pairs(near_parts))

    def within_many(
        self, x: FloatArray, y: FloatArray, distance: float
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Return (point index, polygon index) pairs for polygons within `distance` of each point."""
        points = shapely.points(x, y)
        pairs = self._tree.query(points, predicate="dwithin", distance=distance)
        return pairs[0], pairs[1]


class PointGrid:
    """Points bucketed into square cells: "which points lie in this box" without a tree.

    Built in one sort (a fraction of a second for 2.65 M points); a box query is one binary search
    per row of cells. Points with NaN coordinates (no position) are left out.
    """

    def __init__(self, x: FloatArray, y: FloatArray, cell: float = 500.0) -> None:
        ids = np.flatnonzero(~np.isnan(x) & ~np.isnan(y))
        self.cell = cell
        self.x0 = float(x[ids].min()) if len(ids) else 0.0
        self.y0 = float(y[ids].min()) if len(ids) else 0.0
        cx = ((x[ids] - self.x0) // cell).astype(np.int64)
        cy = ((y[ids] - self.y0) // cell).astype(np.int64)
        self.columns = int(cx.max()) + 1 if len(ids) else 1
        self.rows = int(cy.max()) + 1 if len(ids) else 0
        keys = cy * self.columns + cx
        order = np.argsort(keys, kind="stable")
        self._ids = ids[order]
        self._keys = keys[order]

    def in_box(self, xmin: float, ymin: float, xmax: float, ymax: float) -> npt.NDArray[np.int64]:
        """Return the ids of the points in the cells the box touches (a superset of those inside)."""
        if not len(self._ids):
            return np.empty(0, dtype=np.int64)
        c0 = max(int((xmin - self.x0) // self.cell), 0)
        c1 = min(int((xmax - self.x0) // self.cell), self.columns - 1)
        r0 = max(int((ymin - self.y0) // self.cell), 0)
        r1 = min(int((ymax - self.y0) // self.cell), self.rows - 1)
        if c0 > c1 or r0 > r1:
            return np.empty(0, dtype=np.int64)
        starts = np.arange(r0, r1 + 1, dtype=np.int64) * self.columns
        lo = np.searchsorted(self._keys, starts + c0, side="left")
        hi = np.searchsorted(self._keys, starts + c1, side="right")
        parts = [self._ids[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
