"""A base map drawn from the address register: a line through each street's address points.

Without a tile service (an offline municipality, a sandbox, a visitor whose IP address should go
to no tile host) a map of coloured zones has no streets under it. The register knows where every
house of a street stands, so a street's line can be drawn through its houses: each point is first
pulled towards its neighbours on the same street (houses face each other across the road, so the
average of both sides lies near its middle), then the points are joined by their minimum spanning
tree, which follows the row of houses without jumping between sides. It is *not* a street map: a
street without houses has no line, a long empty stretch is left out, and a line ends at the last
house. The attribution says so (`REGISTER_ATTRIBUTION`).

Lines are computed once per register (cached), simplified to about a metre and kept as integer
steps like the zone outlines (``maps/zonedata.py``); ``static/wabp/streets.js`` draws them under the
zones with the street names where zoomed in.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiLineString

from geo.crs import lambert72_to_lonlat_arrays
from geo.register import AddressRegister

# Short enough for two lines on a phone; "schets" says it is not a street map.
REGISTER_ATTRIBUTION = (
    "Schets van de straten uit het adressenregister (CRAB, Informatie Vlaanderen)"
)
# Houses across the road from each other lie within this distance (metres).
_SMOOTH_M = 35.0
# A longer gap between two houses of a street is left open (fields, or two parts of one name).
_MAX_EDGE_M = 250.0
# Simplification of a line in metres: far below what a phone screen shows at street zoom.
_SIMPLIFY_M = 1.5
# A street's name is repeated along it at about this spacing; shorter side parts get none.
_LABEL_EVERY_M = 350.0
_LABEL_MIN_M = 60.0
# Positions travel as integers of 10^-5 degree (about a metre).
DECIMALS = 5

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StreetLine:
    """One street's drawn line: its name, its parts in Lambert 72 and where its name goes."""

    name: str
    parts: list[FloatArray]
    labels_xy: list[tuple[float, float]]


_CACHE: weakref.WeakKeyDictionary[AddressRegister, list[StreetLine]] = weakref.WeakKeyDictionary()


def street_lines(register: AddressRegister) -> list[StreetLine]:
    """Return the drawn line of every street with at least two positioned houses (cached)."""
    found = _CACHE.get(register)
    if found is None:
        found = _compute(register)
        _CACHE[register] = found
    return found


def _compute(register: AddressRegister) -> list[StreetLine]:
    out = []
    positioned = register.positioned
    for street in register.streets:
        ids = register.on_street_array(street.id)
        ids = ids[positioned[ids]]
        if len(ids) < 2:
            continue
        xy = np.unique(np.c_[register.x[ids], register.y[ids]], axis=0)
        if len(xy) < 2:
            continue
        # A short street's houses all move to one point: draw it through the houses themselves.
        line = _line(_smooth(xy)) or _line(xy)
        if line is None:
            continue
        geoms = list(line.geoms) if isinstance(line, MultiLineString) else [line]
        parts = [np.asarray(g.coords) for g in geoms]
        out.append(StreetLine(street.name, parts, _label_points(geoms)))
    return out


def _label_points(lines: list[LineString]) -> list[tuple[float, float]]:
    """Return where a street's name goes: the middle of each part, and every `_LABEL_EVERY_M`.

    A zoomed-in map shows a few hundred metres: a long street needs its name more than once.
    """
    points: list[tuple[float, float]] = []
    for part in sorted(lines, key=lambda g: -g.length):
        count = max(1, int(part.length // _LABEL_EVERY_M))
        if part.length < _LABEL_MIN_M and points:
            continue
        for i in range(count):
            p = part.interpolate((i + 0.5) / count, normalized=True)
            # A branch next to a named stretch gets no name of its own.
            if all(
                (p.x - x) ** 2 + (p.y - y) ** 2 >= (_LABEL_EVERY_M * 0.7) ** 2 for x, y in points
            ):
                points.append((p.x, p.y))
    return points


def _smooth(xy: FloatArray) -> FloatArray:
    """Move each point to the mean of its street's points within `_SMOOTH_M`: towards the road."""
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    near = d2 <= _SMOOTH_M**2
    smoothed: FloatArray = (near @ xy) / near.sum(axis=1)[:, None]
    return smoothed


def _line(xy: FloatArray) -> LineString | MultiLineString | None:
    """Return the minimum spanning tree of the points as merged lines, long gaps left open."""
    n = len(xy)
    # Prim's algorithm on the full distance matrix: a street has at most a few thousand houses.
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = d[0].copy()
    parent = np.zeros(n, dtype=np.int64)
    edges = []
    for _ in range(n - 1):
        masked = np.where(in_tree, np.inf, best)
        j = int(np.argmin(masked))
        if masked[j] <= _MAX_EDGE_M and masked[j] > 0:
            edges.append((xy[parent[j]], xy[j]))
        in_tree[j] = True
        closer = d[j] < best
        best = np.where(closer, d[j], best)
        parent = np.where(closer, j, parent)
    if not edges:
        return None
    merged = shapely.line_merge(MultiLineString([list(map(tuple, e)) for e in edges]))
    simple = shapely.simplify(merged, _SIMPLIFY_M)
    if simple.is_empty or not isinstance(simple, LineString | MultiLineString):
        return None
    return simple


def street_layer_data(
    register: AddressRegister, bbox_l72: tuple[float, float, float, float] | None = None
) -> dict[str, Any]:
    """Return the streets as ``streets.js`` reads them (only those touching `bbox_l72`, if given).

    ``{"d": decimals, "attribution": ..., "streets": [{"n": name, "a": [[lat, lon]], "l": [steps]}]}``
    where each part is ``[x0, y0, dx1, dy1, ...]`` in 10^-d degree, longitude first.
    """
    scale = 10**DECIMALS
    streets = []
    for street in street_lines(register):
        if bbox_l72 is not None and not any(_touches(p, bbox_l72) for p in street.parts):
            continue
        parts = []
        for part in street.parts:
            lon, lat = lambert72_to_lonlat_arrays(part[:, 0], part[:, 1])
            ints = np.round(np.c_[lon, lat] * scale).astype(np.int64)
            steps = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
            parts.append(steps.ravel().tolist())
        lx, ly = np.asarray(street.labels_xy).T
        llon, llat = lambert72_to_lonlat_arrays(lx, ly)
        anchors = [
            [round(a, 6), round(o, 6)] for a, o in zip(llat.tolist(), llon.tolist(), strict=True)
        ]
        streets.append({"n": street.name, "a": anchors, "l": parts})
    return {"d": DECIMALS, "attribution": REGISTER_ATTRIBUTION, "streets": streets}


def _touches(part: FloatArray, bbox: tuple[float, float, float, float]) -> bool:
    xmin, ymin, xmax, ymax = bbox
    return bool(
        part[:, 0].max() >= xmin
        and part[:, 0].min() <= xmax
        and part[:, 1].max() >= ymin
        and part[:, 1].min() <= ymax
    )
