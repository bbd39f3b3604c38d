"""The zone layer's data: each zone's outline as compact integers, its colour and its popup texts.

An outline travels as rings of integers: the first position in units of 10^-decimals degree, then
the step from the previous position, longitude first as in GeoJSON. That is about half the size of
GeoJSON floats; ``static/wabp/zones.js`` turns the rings back into Leaflet's [lat, lon]. The texts
stay plain: the script puts them into the page with ``textContent``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from maps.colours import palette_colours
from maps.display import DisplayZones
from zones.schema import Zone

# Leaflet's fast canvas renderer above this many zones; SVG paths (one DOM node each) below it.
CANVAS_ABOVE = 400
_HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


def encode_outline(geometry: BaseGeometry, decimals: int) -> list[list[list[int]]]:
    """Return polygons -> rings -> ``[x0, y0, dx1, dy1, ...]`` in 10^-decimals degree."""
    if isinstance(geometry, Polygon):
        polygons = [geometry]
    elif isinstance(geometry, MultiPolygon):
        polygons = list(geometry.geoms)
    else:
        raise TypeError(f"not a polygon: {geometry.geom_type}")
    scale = 10**decimals
    out = []
    for polygon in polygons:
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            # Leaflet closes rings itself: the repeated first position is left out.
            ints = np.round(np.asarray(ring.coords)[:-1, :2] * scale).astype(np.int64)
            steps = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
            moved = np.any(steps != 0, axis=1)
            moved[0] = True
            rings.append(steps[moved].ravel().tolist())
        out.append(rings)
    return out


def zone_layer_data(
    zones: Sequence[Zone],
    display: DisplayZones,
    colours: dict[str, int],
    *,
    map_name: str,
    join_url: str | None,
    zone_href: Callable[[Zone], str | None] = lambda zone: None,
    focus: str | None = None,
    join_elsewhere: str = "",
) -> dict[str, Any]:
    """Return what ``zones.js`` draws: palette, zones (largest first) with outline and texts."""
    # Largest first: small zones are drawn on top (clickable) and big zones' names get placed first.
    ordered = sorted(zones, key=lambda z: -z.geometry_l72.area)
    return {
        "map": map_name,
        "joinUrl": join_url,
        "joinElsewhere": join_elsewhere,
        "focus": focus,
        "canvas": len(ordered) > CANVAS_ABOVE,
        "palette": [[c.fill, c.outline] for c in palette_colours()],
        "zones": [_zone(z, display, colours[z.id], zone_href(z)) for z in ordered],
    }


def _zone(zone: Zone, display: DisplayZones, colour: int, href: str | None) -> dict[str, Any]:
    geometry = display.geometries[zone.id]
    level = display.levels[zone.id]
    lat, lon = display.label(zone.id)
    data: dict[str, Any] = {
        "id": zone.id,
        "name": zone.name,
        "c": colour,
        "label": [round(lat, 5), round(lon, 5)],
        "d": level.decimals,
        "g": encode_outline(geometry, level.decimals),
    }
    if zone.props.area:
        data["area"] = zone.props.area
    if zone.props.streets:
        data["streets"] = [rule.describe() for rule in zone.props.streets]
    if zone.props.how_to_join:
        data["join"] = zone.props.how_to_join
    if href:
        data["href"] = href
    return data


def script_json(data: Any) -> str:
    """Serialise `data` compactly for a ``<script type="application/json">`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # "</script>" or "<!--" inside a string must not end or change the element.
    return text.translate(_HTML_UNSAFE)
