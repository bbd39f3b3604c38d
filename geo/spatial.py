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

    def within_many(
        self, x: FloatArray, y: FloatArray, distance: float
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Return (point index, polygon index) pairs for polygons within `distance` of each point."""
        points = shapely.points(x, y)
        pairs = self._tree.query(points, predicate="dwithin", distance=distance)
        return pairs[0], pairs[1]
