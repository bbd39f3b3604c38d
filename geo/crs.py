"""Coordinate reference systems: WGS84, Belgian Lambert 72 (EPSG:31370) and Lambert 2008 (EPSG:3812).

All geometry work (point in polygon, distances, areas) happens in Lambert 72, the CRS of the CRAB
positions and of the Flemish administrative polygons. WGS84 is for input and display only. Transformers
are built once, with ``always_xy=True`` so that lon/lat never come back as lat/lon, and with PROJ's
network access off so that every machine picks the same (grid-less, about 1 m accurate) operation.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyproj
from pyproj import Transformer

from geo.errors import CoordinateError

pyproj.network.set_network_enabled(False)  # type: ignore[attr-defined]

WGS84 = "EPSG:4326"
LAMBERT72 = "EPSG:31370"
LAMBERT2008 = "EPSG:3812"

# Area of use of EPSG:31370/3812 (pyproj CRS.area_of_use), i.e. Belgium with a margin.
BELGIUM_LON = (2.5, 6.41)
BELGIUM_LAT = (49.49, 51.51)

FloatArray = npt.NDArray[np.float64]


class LonLat(NamedTuple):
    """A WGS84 position, longitude first (GeoJSON order)."""

    lon: float
    lat: float


class LambertXY(NamedTuple):
    """A Belgian Lambert 72 (EPSG:31370) position in metres."""

    x: float
    y: float


class Lambert2008XY(NamedTuple):
    """A Belgian Lambert 2008 (EPSG:3812) position in metres."""

    x: float
    y: float


@cache
def transformer(source: str, target: str) -> Transformer:
    """Return the (cached) lon/lat-ordered transformer from `source` to `target`."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_lambert72(p: LonLat) -> LambertXY:
    """Project a WGS84 position to Lambert 72."""
    x, y = transformer(WGS84, LAMBERT72).transform(p.lon, p.lat)
    return LambertXY(float(x), float(y))


def to_wgs84(p: LambertXY) -> LonLat:
    """Unproject a Lambert 72 position to WGS84."""
    lon, lat = transformer(LAMBERT72, WGS84).transform(p.x, p.y)
    return LonLat(float(lon), float(lat))


def to_lambert2008(p: LambertXY) -> Lambert2008XY:
    """Convert a Lambert 72 position to Lambert 2008 (about 0.2 m without the NGI grid)."""
    x, y = transformer(LAMBERT72, LAMBERT2008).transform(p.x, p.y)
    return Lambert2008XY(float(x), float(y))


def lonlat_to_lambert72_arrays(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Project arrays of WGS84 lon/lat to Lambert 72 x/y (NaN stays NaN)."""
    x, y = transformer(WGS84, LAMBERT72).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def lambert72_to_lonlat_arrays(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unproject arrays of Lambert 72 x/y to WGS84 lon/lat."""
    lon, lat = transformer(LAMBERT72, WGS84).transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def in_belgium(p: LonLat) -> bool:
    """Tell whether a WGS84 position lies in Belgium's bounding box."""
    return BELGIUM_LON[0] <= p.lon <= BELGIUM_LON[1] and BELGIUM_LAT[0] <= p.lat <= BELGIUM_LAT[1]


def in_belgium_arrays(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """Tell, for arrays of WGS84 lon/lat, which lie in Belgium's bounding box (NaN does not)."""
    return (
        (BELGIUM_LON[0] <= lon)
        & (lon <= BELGIUM_LON[1])
        & (BELGIUM_LAT[0] <= lat)
        & (lat <= BELGIUM_LAT[1])
    )


def check_lonlat(lon: float, lat: float) -> LonLat:
    """Return the position if it is a finite WGS84 lon/lat in Belgium, else raise CoordinateError.

    Belgian latitudes (49.5-51.5) and longitudes (2.5-6.4) do not overlap, so a swapped pair is
    recognised and named as such; so are projected metres (Lambert 72 or 2008).
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CoordinateError("coordinates must be finite numbers")
    p = LonLat(lon, lat)
    if in_belgium(p):
        return p
    if in_belgium(LonLat(lat, lon)):
        raise CoordinateError(
            f"({lon}, {lat}) looks like latitude/longitude swapped: give longitude first"
        )
    if abs(lat) > 90 and abs(lon) <= 180 and abs(lat) <= 180:
        raise CoordinateError(f"({lon}, {lat}): latitude must lie between -90 and 90")
    if abs(lon) > 360 or abs(lat) > 90:
        raise CoordinateError(
            f"({lon}, {lat}) looks like projected metres: give WGS84 longitude/latitude"
        )
    raise CoordinateError(f"({lon}, {lat}) is outside Belgium")
