"""Zone colours: distinct fills, and outlines dark enough to read on a tile-less map.

WCAG 1.4.11 asks 3:1 contrast for graphical objects, so every outline is darkened until it reaches
that against the map background. Colour is never the only cue: zones are also labelled by name.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# The map background without tiles (also in static/wabp/public-map.css).
MAP_BACKGROUND = "#f4f3ee"
MIN_OUTLINE_CONTRAST = 3.0

# Tableau 10 plus two: qualitative, distinguishable for most colour-vision deficiencies.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f5f8b",
    "#8cd17d",
)


@dataclass(frozen=True)
class ZoneColour:
    """The fill and outline colour of one zone (``#rrggbb``)."""

    fill: str
    outline: str


@cache
def palette_colours() -> tuple[ZoneColour, ...]:
    """Return the colours of the palette (built once: every map page of a site asks for them)."""
    return tuple(zone_colours(len(PALETTE)))


def zone_colours(count: int) -> list[ZoneColour]:
    """Return `count` zone colours: the palette first, then golden-angle hues."""
    out = []
    for i in range(count):
        fill = PALETTE[i] if i < len(PALETTE) else _golden_hue(i)
        out.append(ZoneColour(fill=fill, outline=readable_outline(fill)))
    return out


def palette_indices(geometries: Sequence[BaseGeometry]) -> list[int]:
    """Return a palette index per zone: in order for a few zones, else neighbours never share one.

    With more zones than colours, a greedy colouring of the touching-zones graph (most neighbours
    first) keeps adjacent zones apart; planar maps rarely need more than five colours this way.
    """
    n = len(geometries)
    if n <= len(PALETTE):
        return list(range(n))
    tree = shapely.STRtree(np.array(geometries, dtype=object))
    left, right = tree.query(np.array(geometries, dtype=object), predicate="intersects")
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a != b:
            neighbours[a].add(b)
    colour = [-1] * n
    for z in sorted(range(n), key=lambda i: -len(neighbours[i])):
        used = {colour[m] for m in neighbours[z]}
        colour[z] = next((c for c in range(len(PALETTE)) if c not in used), z % len(PALETTE))
    return colour


def readable_outline(fill: str, background: str = MAP_BACKGROUND) -> str:
    """Darken `fill` until it has at least 3:1 contrast against `background`."""
    colour = fill
    factor = 1.0
    while contrast_ratio(colour, background) < MIN_OUTLINE_CONTRAST and factor > 0:
        factor -= 0.05
        colour = _scale(fill, factor)
    return colour


def contrast_ratio(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.removeprefix("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def _hex(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in (r, g, b))


def _scale(colour: str, factor: float) -> str:
    r, g, b = _rgb(colour)
    return _hex(r * factor, g * factor, b * factor)


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _golden_hue(i: int) -> str:
    # Successive golden-angle steps keep neighbouring indices far apart on the colour wheel.
    r, g, b = colorsys.hls_to_rgb((i * 0.381966) % 1.0, 0.5, 0.6)
    return _hex(r * 255, g * 255, b * 255)
