"""Coordinate reference systems: WGS84, Belgian Lambert 72 (EPSG:31370) and Lambert 2008 (EPSG:3812).

All geometry work (point in polygon, distances, areas) happens in Lambert 72, the CRS of the CRAB
positions and of the Flemish administrative polygons. WGS84 is for input and display only. Transformers
are built once, with ``always_xy=True`` so that lon/lat never come back as lat/lon, and with PROJ's
network access off so that every machine picks the same (grid-less, about 1 m accurate) operation.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyproj
from pyproj import Transformer

from geo.errors import CoordinateError
from geo.threads import map_parts

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


# From this many points on, a transformation is split over threads (all of Flanders: 2.65 M).
POINTS_PER_THREAD = 200_000
# Transformers not in use, per (source, target): a Transformer must not serve two threads at once,
# and making one takes some 50 ms.
_spare: dict[tuple[str, str], queue.SimpleQueue[Transformer]] = {}


@contextmanager
def _borrowed(source: str, target: str) -> Iterator[Transformer]:
    """Lend a transformer (made as `transformer` makes it) to this thread for one use."""
    spare = _spare.setdefault((source, target), queue.SimpleQueue())
    try:
        t = spare.get_nowait()
    except queue.Empty:
        t = Transformer.from_crs(source, target, always_xy=True)
    try:
        yield t
    finally:
        spare.put(t)


def _transform_arrays(
    source: str, target: str, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Transform arrays of coordinates, in parts on several threads when they are long.

    Each point is transformed by itself (PROJ picks its operation per point), so the parts give
    exactly what one call gives.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def part(rows: range) -> tuple[FloatArray, FloatArray]:
        with _borrowed(source, target) as t:
            p, q = t.transform(a[rows.start : rows.stop], b[rows.start : rows.stop])
        return np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)

    done = map_parts(part, len(a), POINTS_PER_THREAD)
    if len(done) == 1:
        return done[0]
    return np.concatenate([p for p, _ in done]), np.concatenate([q for _, q in done])


def lonlat_to_lambert72_arrays(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Project arrays of WGS84 lon/lat to Lambert 72 x/y (NaN stays NaN)."""
    return _transform_arrays(WGS84, LAMBERT72, lon, lat)


def lambert72_to_lonlat_arrays(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unproject arrays of Lambert 72 x/y to WGS84 lon/lat."""
    return _transform_arrays(LAMBERT72, WGS84, x, y)


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
