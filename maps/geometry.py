"""Geometry as the map shows it: rounded copies, label points and Leaflet's [lat, lon] order.

Everything outside ``maps/`` speaks (lon, lat); folium and Leaflet want [lat, lon]. The swap happens
here and nowhere else. The dataset's geometries are never modified: shapely returns new objects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

# 1e-6 degree is about 0.1 m in Belgium: finer than a screen pixel at any useful zoom.
DISPLAY_DECIMALS = 6
# Belgium, for a map that has neither boundary nor zones.
BELGIUM_LATLON = (50.5, 4.5)

LatLon = list[float]
LatLonBounds = list[LatLon]


def display_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """Return a GeoJSON geometry dict of `geometry` rounded for display."""
    rounded = shapely.transform(geometry, _round)
    return dict(mapping(rounded))


def latlon(lon: float, lat: float) -> LatLon:
    """Return a position in Leaflet's order."""
    return [round(lat, DISPLAY_DECIMALS), round(lon, DISPLAY_DECIMALS)]


def latlon_bounds(geometry: BaseGeometry) -> LatLonBounds:
    """Return the bounds of a WGS84 geometry as Leaflet's [[south, west], [north, east]]."""
    west, south, east, north = geometry.bounds
    return [latlon(west, south), latlon(east, north)]


def label_point(geometry: BaseGeometry) -> LatLon:
    """Return where a zone's name goes: well inside its largest part, in [lat, lon]."""
    parts = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    largest = max(parts, key=lambda g: g.area)
    if isinstance(largest, Polygon) and not largest.is_empty:
        # The pole of inaccessibility sits visibly inside thin or L-shaped zones, unlike a centroid.
        point = polylabel(largest, tolerance=1e-5)
    else:
        point = largest.representative_point()
    return latlon(point.x, point.y)


def _round(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.round(coords, DISPLAY_DECIMALS)
