"""The printed map of a zone: an SVG in Lambert 72 with its neighbours, streets and infoborden.

Lambert 72 is conformal and in metres, so north is up and the scale bar is true; ECOSYSTEM.md §3.4
asks a printed map for a scale bar, a north arrow, names and the date. There are no tiles: the
houses and street names come from the register (a street's addresses give its place and direction),
so a poster needs no network and no script.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import shapely
from markupsafe import Markup
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from geo.crs import LonLat, to_lambert72
from maps.colours import ZoneColour
from zones.dataset import Dataset
from zones.schema import Zone

NEIGHBOUR_FILL = "#d9d9d9"
NEIGHBOUR_LINE = "#6b6b6b"
SCALE_LENGTHS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
# Street names: at least this many addresses in view, and a size per place (mm).
MIN_STREET_POINTS = 3
STREET_FONT_MM = 2.7
OTHER_STREET_FONT_MM = 2.3
CHAR_WIDTH = 0.56  # average glyph width of a sans-serif font, in font sizes


@dataclass(frozen=True)
class Frame:
    """What part of Lambert 72 the map shows, and its size on paper (mm)."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    width_mm: float
    height_mm: float

    @property
    def mm_per_m(self) -> float:
        """Return the map scale: paper millimetres per metre."""
        return self.width_mm / (self.maxx - self.minx)

    def box(self) -> BaseGeometry:
        """Return the shown area as a polygon (Lambert 72)."""
        return shapely.box(self.minx, self.miny, self.maxx, self.maxy)

    def to_paper(self, x: float, y: float) -> tuple[float, float]:
        """Return the paper position (mm from the top left) of a Lambert 72 position."""
        k = self.mm_per_m
        return (x - self.minx) * k, (self.maxy - y) * k


def frame_for(shape: BaseGeometry, width_mm: float, height_mm: float, margin: float = 0.1) -> Frame:
    """Return the frame that shows `shape` (Lambert 72) with a margin, at the paper's proportions."""
    minx, miny, maxx, maxy = shape.bounds
    w = max(maxx - minx, 50.0) * (1 + 2 * margin)
    h = max(maxy - miny, 50.0) * (1 + 2 * margin)
    ratio = width_mm / height_mm
    w, h = max(w, h * ratio), max(h, w / ratio)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return Frame(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, width_mm, height_mm)


def path_data(shape: BaseGeometry, frame: Frame) -> str:
    """Return SVG path data (mm, 0.1 mm precision) of a polygon or multipolygon."""
    polygons = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
    parts = []
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [frame.to_paper(x, y) for x, y in ring.coords[:-1]]
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def print_map_svg(
    dataset: Dataset,
    zone: Zone,
    near: Sequence[Zone],
    colour: ZoneColour,
    *,
    width_mm: float,
    height_mm: float,
) -> Markup:
    """Return the SVG map of one zone for a poster: neighbours, houses, street names, infoborden."""
    frame = frame_for(zone.geometry_l72, width_mm, height_mm)
    view = frame.box()
    out = [
        f'<svg class="print-map" viewBox="0 0 {width_mm:.1f} {height_mm:.1f}" role="img" '
        f'aria-label="Kaart van {escape(zone.name)} met de buurzones">',
        f'<rect width="{width_mm:.1f}" height="{height_mm:.1f}" fill="#fbfaf6"/>',
    ]
    for other in near:
        out.append(
            f'<path d="{path_data(other.geometry_l72, frame)}" fill="{NEIGHBOUR_FILL}" '
            f'fill-rule="evenodd" stroke="{NEIGHBOUR_LINE}" stroke-width="0.4"/>'
        )
    out.append(
        f'<path d="{path_data(zone.geometry_l72, frame)}" fill="{colour.fill}" fill-opacity="0.3" '
        f'fill-rule="evenodd" stroke="{colour.outline}" stroke-width="1.1" stroke-linejoin="round"/>'
    )
    if dataset.boundary_l72 is not None:
        out.append(
            f'<path d="{path_data(dataset.boundary_l72, frame)}" fill="none" stroke="#333" '
            'stroke-width="0.5" stroke-dasharray="2.5 1.5"/>'
        )
    out += _houses(dataset, zone, frame)
    taken: list[tuple[float, float, float, float]] = []
    out += _zone_names(near, frame, view, taken)
    out += _street_names(dataset, zone, frame, taken)
    out += _infoborden(dataset, zone, frame)
    out += _scale_bar(frame)
    out += _north_arrow(frame)
    out.append(
        f'<rect width="{width_mm:.1f}" height="{height_mm:.1f}" fill="none" stroke="#333" stroke-width="0.4"/>'
    )
    out.append("</svg>")
    # Every text above went through escape(); the rest are numbers and fixed strings.
    return Markup("".join(out))


def _in_view(dataset: Dataset, frame: Frame) -> np.ndarray:
    register = dataset.register
    return np.flatnonzero(
        register.positioned
        & (register.x >= frame.minx)
        & (register.x <= frame.maxx)
        & (register.y >= frame.miny)
        & (register.y <= frame.maxy)
    )


def _houses(dataset: Dataset, zone: Zone, frame: Frame) -> list[str]:
    """Return a small dot per address: where people live, also without a base map."""
    register, table = dataset.register, dataset.table
    inside: list[str] = []
    outside: list[str] = []
    for a in _in_view(dataset, frame).tolist():
        x, y = frame.to_paper(float(register.x[a]), float(register.y[a]))
        (inside if zone.id in table.zones_of(a) else outside).append(f"M{x:.1f} {y:.1f}h0")
    return [
        f'<path d="{"".join(outside)}" stroke="#8a8a8a" stroke-width="0.7" stroke-linecap="round"/>',
        f'<path d="{"".join(inside)}" stroke="#333" stroke-width="0.8" stroke-linecap="round"/>',
    ]


def _zone_names(
    near: Sequence[Zone],
    frame: Frame,
    view: BaseGeometry,
    taken: list[tuple[float, float, float, float]],
) -> list[str]:
    out = []
    for other in near:
        visible = other.geometry_l72.intersection(view)
        if visible.is_empty:
            continue
        parts = list(visible.geoms) if hasattr(visible, "geoms") else [visible]
        largest = max(parts, key=lambda g: g.area)
        if not isinstance(largest, Polygon) or largest.area <= 0:
            continue
        point = polylabel(largest, tolerance=1.0)
        x, y = frame.to_paper(point.x, point.y)
        size = 3.2
        box = _box(x, y, len(other.name) * size * CHAR_WIDTH, size, 0.0)
        if not _inside(box, frame) or any(_overlap(box, t) for t in taken):
            continue
        taken.append(box)
        out.append(
            f'<text x="{x:.1f}" y="{y:.1f}" class="zone-name" font-size="{size}">{escape(other.name)}</text>'
        )
    return out


def _street_names(
    dataset: Dataset, zone: Zone, frame: Frame, taken: list[tuple[float, float, float, float]]
) -> list[str]:
    """Return street names along their addresses: the zone's streets first, most addresses first."""
    register, table = dataset.register, dataset.table
    points: dict[int, list[int]] = defaultdict(list)
    for a in _in_view(dataset, frame).tolist():
        points[int(register.street_of[a])].append(a)
    own = {s for s, ids in points.items() if any(zone.id in table.zones_of(a) for a in ids)}
    order = sorted(points, key=lambda s: (s not in own, -len(points[s])))
    out = []
    for sid in order:
        ids = points[sid]
        if len(ids) < MIN_STREET_POINTS:
            continue
        xy = np.array([frame.to_paper(float(register.x[a]), float(register.y[a])) for a in ids])
        centre = xy[np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1))]
        angle = _direction(xy)
        size = STREET_FONT_MM if sid in own else OTHER_STREET_FONT_MM
        name = register.streets[sid].name
        box = _box(float(centre[0]), float(centre[1]), len(name) * size * CHAR_WIDTH, size, angle)
        if not _inside(box, frame) or any(_overlap(box, t) for t in taken):
            continue
        taken.append(box)
        css = "street" if sid in own else "street street--other"
        out.append(
            f'<text class="{css}" font-size="{size}" transform="translate({centre[0]:.1f} {centre[1]:.1f}) '
            f'rotate({angle:.0f})">{escape(name)}</text>'
        )
    return out


def _direction(xy: np.ndarray) -> float:
    """Return the angle (degrees, readable: -90..90) of the main direction of a street's points."""
    if len(xy) < 2:
        return 0.0
    values, vectors = np.linalg.eigh(np.cov((xy - xy.mean(axis=0)).T))
    if values[-1] <= 0 or values[0] / values[-1] > 0.4:
        return 0.0  # a square or round cluster has no direction: write it level
    dx, dy = vectors[:, -1]
    angle = math.degrees(math.atan2(dy, dx))
    if angle > 90:
        angle -= 180
    elif angle <= -90:
        angle += 180
    return angle


def _infoborden(dataset: Dataset, zone: Zone, frame: Frame) -> list[str]:
    out = []
    for board in dataset.infoborden:
        if board.properties.zone_id != zone.id:
            continue
        lon, lat = board.geometry.coordinates[0], board.geometry.coordinates[1]
        p = to_lambert72(LonLat(lon, lat))
        x, y = frame.to_paper(p.x, p.y)
        if 0 <= x <= frame.width_mm and 0 <= y <= frame.height_mm:
            out.append(
                f'<g class="board" transform="translate({x:.1f} {y:.1f})"><rect x="-2.6" y="-2.6" '
                'width="5.2" height="5.2" rx="0.6"/><text y="1.5">i</text></g>'
            )
    return out


def _scale_bar(frame: Frame) -> list[str]:
    k = frame.mm_per_m
    length = next((m for m in reversed(SCALE_LENGTHS_M) if m * k <= frame.width_mm * 0.25), 50)
    w = length * k
    x, y = 5.0, frame.height_mm - 6.0
    label = f"{length // 1000} km" if length >= 1000 and length % 1000 == 0 else f"{length} m"
    return [
        f'<g class="scale"><rect x="{x - 2:.1f}" y="{y - 6:.1f}" width="{w + 16:.1f}" height="9" fill="#fff" fill-opacity="0.85"/>',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w / 2:.1f}" height="1.4" fill="#111"/>',
        f'<rect x="{x + w / 2:.1f}" y="{y:.1f}" width="{w / 2:.1f}" height="1.4" fill="#fff" stroke="#111" stroke-width="0.3"/>',
        f'<text x="{x:.1f}" y="{y - 1.2:.1f}">0</text><text x="{x + w:.1f}" y="{y - 1.2:.1f}">{label}</text></g>',
    ]


def _north_arrow(frame: Frame) -> list[str]:
    x, y = frame.width_mm - 9.0, 6.0
    return [
        f'<g class="north" transform="translate({x:.1f} {y:.1f})"><circle cx="0" cy="5" r="5.2" fill="#fff" fill-opacity="0.85"/>',
        '<path d="M0 0L3 8L0 6.2L-3 8Z" fill="#111"/><text x="0" y="-1">N</text></g>',
    ]


def _box(x: float, y: float, w: float, h: float, angle: float) -> tuple[float, float, float, float]:
    """Return the axis-aligned box (mm) around a text of size w x h centred on (x, y), rotated."""
    a = math.radians(angle)
    half_w = (abs(w * math.cos(a)) + abs(h * math.sin(a))) / 2 + 0.8
    half_h = (abs(w * math.sin(a)) + abs(h * math.cos(a))) / 2 + 0.8
    return x - half_w, y - half_h, x + half_w, y + half_h


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(box: tuple[float, float, float, float], frame: Frame) -> bool:
    # Keep clear of the scale bar (bottom left) and the north arrow (top right).
    if box[0] < 2 or box[1] < 2 or box[2] > frame.width_mm - 2 or box[3] > frame.height_mm - 2:
        return False
    if box[0] < 45 and box[3] > frame.height_mm - 14:
        return False
    return not (box[2] > frame.width_mm - 16 and box[1] < 14)
