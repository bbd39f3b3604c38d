"""Posters for the infoborden and flyers: one page per zone, ready for print.

Each page names the group, says to call 101 first, explains SAAR, shows the zone on a map with its
neighbours (maps/printmap.py), lists its streets and carries a QR code to the registration page.
The page is laid out for A4 portrait in millimetres; an A3 poster is the same page zoomed by
sqrt(2) (A-sizes share their proportions), so the HTML prints right from any browser too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from maps.colours import PALETTE, ZoneColour, palette_indices, zone_colours
from maps.page import render_template
from maps.printmap import print_map_svg
from maps.qr import qr_svg
from maps.zonepage import neighbours
from zones.coverage import zone_streets
from zones.dataset import Dataset
from zones.errors import UnknownZoneError

# The map box on an A4 page with 12 mm margins (mm): full width, and the height the street list
# leaves (estimated from its lines; the page's CSS still shrinks the map if the estimate is short).
MAP_WIDTH_MM = 186.0
MAP_ROOM_MM = 134.0
MAP_MIN_HEIGHT_MM = 80.0
MAX_STREETS = 60
# (columns, characters per line, line height in mm) of the street list: normal, and for many streets.
STREET_LAYOUT = {False: (3, 34, 3.9), True: (4, 27, 3.45)}
MANY_STREETS = 27
PaperSize = Literal["A4", "A3"]
ZOOM: dict[PaperSize, float] = {"A4": 1.0, "A3": round(math.sqrt(2), 5)}
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


@dataclass(frozen=True)
class Poster:
    """What one page says about one zone."""

    name: str
    area: str
    colour: ZoneColour
    map_svg: Markup
    map_height_mm: float
    streets: list[str]
    more_streets: int
    boards: int

    @property
    def many_streets(self) -> bool:
        """Tell whether the street list needs the smaller type."""
        return len(self.streets) > MANY_STREETS


def render_posters(
    dataset: Dataset,
    zone_ids: Sequence[str],
    *,
    register_url: str,
    paper: PaperSize = "A4",
    today: dt.date | None = None,
) -> str:
    """Return the print page: one poster per requested zone, in the order asked."""
    active = dataset.zones.active()
    by_id = {z.id: z for z in active}
    for zone_id in zone_ids:
        if zone_id not in by_id:
            raise UnknownZoneError(zone_id)
    near = neighbours(active)
    colours = dict(zip(by_id, palette_indices([z.geometry_l72 for z in active]), strict=True))
    palette = zone_colours(len(PALETTE))
    streets = zone_streets(dataset)
    posters = []
    for zone_id in zone_ids:
        zone = by_id[zone_id]
        names = [s.street if s.whole_street else s.describe() for s in streets[zone_id]]
        height = map_height(names[:MAX_STREETS])
        posters.append(
            Poster(
                name=zone.name,
                area=zone.props.area,
                colour=palette[colours[zone_id]],
                map_svg=print_map_svg(
                    dataset,
                    zone,
                    near[zone_id],
                    palette[colours[zone_id]],
                    width_mm=MAP_WIDTH_MM,
                    height_mm=height,
                ),
                map_height_mm=height,
                streets=names[:MAX_STREETS],
                more_streets=max(0, len(names) - MAX_STREETS),
                boards=sum(b.properties.zone_id == zone_id for b in dataset.infoborden),
            )
        )
    day = today or dt.date.today()
    return render_template(
        "poster.html.j2",
        title=f"Affiches buurtpreventie {dataset.meta.name}",
        paper=paper,
        zoom=ZOOM[paper],
        municipality=dataset.meta.name,
        posters=posters,
        register_url=register_url,
        register_text=register_url.split("://", 1)[-1].rstrip("/"),
        qr=qr_svg(register_url, label=f"QR-code naar het aanmeldformulier: {register_url}"),
        date=f"{day.day} {MONTHS[day.month - 1]} {day.year}",
    )


def map_height(streets: Sequence[str]) -> float:
    """Return the map height (mm) that leaves room for the street list below it."""
    columns, chars, line_mm = STREET_LAYOUT[len(streets) > MANY_STREETS]
    lines = sum(max(1, math.ceil(len(s) / chars)) for s in streets)
    return max(MAP_MIN_HEIGHT_MM, MAP_ROOM_MM - math.ceil(lines / columns) * line_mm)
