"""The map of a boundary proposal: the current and the proposed zones on one map, and what moves.

Current zones are dashed outlines, proposed zones are filled, and every register address that would
change group is a small circle in the colour of its new group. Below the map, the report's summary and
a table of the moves say the same in words: that text is the accessible alternative (ECOSYSTEM.md
§3.2), so it is complete and the map is the extra. Register addresses are not personal data; no
resident, member or phone number is on this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium
import shapely
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup
from shapely.geometry.base import BaseGeometry

from geo.crs import LonLat
from maps import fragments
from maps.assets import api_base_path, asset_url
from maps.colours import ZoneColour, readable_outline, zone_colours
from maps.elements import BindContent, DutchLayerControl, PublicMap
from maps.geometry import BELGIUM_LATLON, display_geojson, label_point, latlon, latlon_bounds
from maps.page import MapFigure, render_template
from maps.public import register_streets
from maps.tiles import TileLayerSpec, tile_layer
from maps.zonedata import script_json
from zones.dataset import Dataset
from zones.proposals import Report
from zones.schema import Zone, ZoneSet

CURRENT_LAYER = "Huidige zones"
PROPOSED_LAYER = "Voorgestelde zones"
MOVES_LAYER = "Adressen die van groep veranderen"
OVERLAP_LAYER = "Overlap met andere groepen (over te nemen)"
# Red hatching reads as "look here" on every zone colour; the report's text says the same in words.
OVERLAP_COLOUR = "#b00020"
MOVE_CLASS = "wabp-move"
CURRENT_OUTLINE = "#1b1b1b"
BOUNDARY_COLOUR = "#6b6b6b"
# Addresses that end up in no group: a neutral grey, still 3:1 against the map background.
NO_GROUP = ZoneColour(fill="#8a8a8a", outline=readable_outline("#8a8a8a"))
NO_GROUP_NAME = "geen groep"
VOORSTEL_CSS = "wabp/voorstel.css"
SHELL_SCRIPT = "wabp/voorstel.compare.js"
SHELL_TITLE = "Voorstel op de kaart"


@dataclass(frozen=True)
class MovedAddress:
    """One register address that changes group, with its position when the register has one."""

    street: str
    housenumber: str
    box: str
    position: LonLat | None
    from_zone: str | None
    to_zone: str | None

    @property
    def label(self) -> str:
        """Return the address as written on the map: ``Hulzenstraat 2A`` (``bus 3`` when given)."""
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street} {self.housenumber}{box}"


@dataclass(frozen=True)
class MoveRow:
    """One row of the moves table (plain text, escaped by Jinja)."""

    street: str
    postcode: str
    numbers: str
    count: int
    from_name: str
    to_name: str


@dataclass(frozen=True)
class LegendEntry:
    """A group that addresses move to, with its colour."""

    name: str
    colour: ZoneColour


@dataclass(frozen=True)
class ComparisonContent:
    """What the comparison page says around the map."""

    title: str
    municipality: str
    zone_name: str
    new_group: bool
    summary: list[str]
    rows: list[MoveRow]
    destinations: list[LegendEntry]
    moved: int
    unplaced: int
    control_name: str
    map_name: str
    target_colour: ZoneColour
    has_boundary: bool
    takeover: str | None = None  # the colour of the take-over areas, when there are some
    # The register base map's data (maps/basemap.py) when it is the base map, else "".
    streets: Markup = Markup("")
    streets_script: str = ""
    # (link, text) back to the page the reader came from, when there is one for them.
    back: tuple[str, str] | None = None


def moved_addresses(dataset: Dataset, report: Report) -> list[MovedAddress]:
    """Return the register addresses behind the report's moves, one per address counted."""
    reg = dataset.register
    keys = {(m.street, m.postcode) for m in report.moves}
    street_ids: dict[tuple[str, str], list[int]] = {}
    for street in reg.streets:  # one pass: a register of all Flanders has 100,000 streets
        if (street.name, street.postcode) in keys:
            street_ids.setdefault((street.name, street.postcode), []).append(street.id)
    out = []
    for move in report.moves:
        streets = street_ids.get((move.street, move.postcode), [])
        wanted: dict[str, int] = {}
        for number in move.numbers:
            wanted[number] = wanted.get(number, 0) + 1
        for number, count in wanted.items():
            # Several addresses can share a house number (boxes); take those in the move's old group.
            found = [
                a
                for sid in streets
                for a in reg.find(sid, number)
                if (dataset.table.zones_of(a) or (None,))[0] == move.from_zone
            ]
            for a in found[:count]:
                address = reg.address(a)
                out.append(
                    MovedAddress(
                        street=move.street,
                        housenumber=address.housenumber,
                        box=address.box or "",
                        position=address.lonlat,
                        from_zone=move.from_zone,
                        to_zone=move.to_zone,
                    )
                )
    return out


def render_proposal_map(
    dataset: Dataset,
    report: Report,
    after: ZoneSet,
    *,
    asset_base: str = "/static",
    tiles: TileLayerSpec | None = None,
    back: tuple[str, str] | None = None,
) -> str:
    """Return the HTML page that compares the current zones with a proposal's zones.

    `tiles` is the base map under the zones (the service's ``WABP_TILES``): the municipality judges
    a boundary by the streets and houses it runs along, which the zones alone do not show. `back`
    is a (link, text) to the page the reader works on, shown above the title.
    """
    before_zones = dataset.zones.active()
    # The proposed zone is drawn even when it is not (yet) active, e.g. a zone still "proposed".
    after_zones = [z for z in after if z.props.status == "active" or z.id == report.zone_id]
    colours = dict(zip([z.id for z in after_zones], zone_colours(len(after_zones)), strict=True))
    names = {z.id: z.name for z in dataset.zones} | {z.id: z.name for z in after}
    target = after.get(report.zone_id)

    addresses = moved_addresses(dataset, report)
    placed = [a for a in addresses if a.position is not None]
    frame = _frame(target.geometry, placed, dataset)
    m = PublicMap(
        asset_base=asset_base,
        location=label_point(target.geometry) if _drawable(target.geometry) else _centre(frame),
        zoom_start=14,
        tiles=None,
        control_scale=True,
        zoom_snap=0.5,
    )
    m.default_css = [*m.default_css, ("wabp_voorstel_css", asset_url(asset_base, VOORSTEL_CSS))]
    m.aria_label = f"Kaart van het voorstel voor {target.name}: huidige en voorgestelde zones"
    if tiles is not None and not tiles.from_register:
        tile_layer(tiles).add_to(m)
    if dataset.boundary is not None:
        _add_boundary(m, dataset.boundary)
    _add_proposed(m, after_zones, colours, report.zone_id)
    _add_current(m, before_zones)
    _add_overlaps(m, dataset, report, target)
    _add_moves(m, placed, colours, names)
    # Collapsed on a phone, where the open list would cover half the map; compare.js.j2 opens it
    # on a wide screen, where toggling the two layers is what the page is for.
    control = DutchLayerControl(collapsed=True)
    control.add_to(m)
    if frame is not None:
        m.fit_bounds(latlon_bounds(frame), padding=(16, 16))

    destinations = sorted({a.to_zone for a in addresses}, key=lambda z: names.get(z or "", ""))
    content = ComparisonContent(
        title=_title(target, report.new_group),
        municipality=dataset.meta.name,
        zone_name=target.name,
        new_group=report.new_group,
        summary=list(report.summary),
        rows=[
            MoveRow(
                street=move.street,
                postcode=move.postcode,
                numbers=", ".join(move.numbers),
                count=move.count,
                from_name=_zone_name(names, move.from_zone),
                to_name=_zone_name(names, move.to_zone),
            )
            for move in report.moves
        ],
        destinations=[
            LegendEntry(_zone_name(names, z), colours.get(z, NO_GROUP) if z else NO_GROUP)
            for z in destinations
        ],
        moved=sum(move.count for move in report.moves),
        unplaced=sum(move.count for move in report.moves) - len(placed),
        control_name=control.get_name(),
        map_name=m.get_name(),
        target_colour=colours[target.id],
        has_boundary=dataset.boundary is not None,
        takeover=OVERLAP_COLOUR if report.takeovers else None,
        streets=_streets(dataset, tiles, frame),
        streets_script=asset_url(asset_base, "wabp/streets.js"),
        back=back,
    )
    figure = MapFigure("compare.html.j2", page=content)
    figure.add_child(m)
    return figure.render()


@dataclass(frozen=True)
class ShellPage:
    """What the shell template needs: texts, asset URLs and the API base."""

    title: str
    municipality: str
    stylesheets: list[str]
    script: str
    api_base: str


def render_proposal_map_shell(
    municipality: str, *, asset_base: str = "/static", api_base: str = "/api"
) -> str:
    """Return the page that loads a proposal's map with the signed-in user's token (no data in it)."""
    api_base = api_base_path(api_base)
    page = ShellPage(
        title=SHELL_TITLE,
        municipality=municipality,
        stylesheets=[
            asset_url(asset_base, "wabp/public-map.css"),
            asset_url(asset_base, VOORSTEL_CSS),
        ],
        script=asset_url(asset_base, SHELL_SCRIPT),
        api_base=api_base,
    )
    return render_template("compare_shell.html.j2", page=page)


def _streets(dataset: Dataset, tiles: TileLayerSpec | None, frame: BaseGeometry | None) -> Markup:
    """Return the register base map's data for the page, or "" with another base map or none."""
    if tiles is None or not tiles.from_register:
        return Markup("")
    # The streets of the municipality, not only of the first view: the reviewer zooms and pans.
    around = dataset.boundary if dataset.boundary is not None else frame
    return Markup(script_json(register_streets(dataset, tiles, around=around)))


def _add_boundary(m: folium.Map, boundary: BaseGeometry) -> None:
    # Thin and solid: the dashes belong to the current zones on this map.
    style = {"color": BOUNDARY_COLOUR, "weight": 1.5, "fill": False}
    folium.GeoJson(
        _feature(boundary, style), name=fragments.layer_name("Gemeentegrens"), interactive=False
    ).add_to(m)


def _add_proposed(
    m: folium.Map, zones: list[Zone], colours: dict[str, ZoneColour], target_id: str
) -> None:
    group = folium.FeatureGroup(name=fragments.layer_name(PROPOSED_LAYER))
    # The proposed zone last: drawn on top, its outline is never hidden by a neighbour's.
    for zone in sorted(zones, key=lambda z: z.id == target_id):
        colour = colours[zone.id]
        emphasised = zone.id == target_id
        style = {
            "color": colour.outline,
            "weight": 4.5 if emphasised else 1.5,
            "fillColor": colour.fill,
            "fillOpacity": 0.5 if emphasised else 0.2,
        }
        shape = folium.GeoJson(_feature(zone.geometry, style), control=False)
        tooltip = f"{escape(zone.name)} (voorstel)" if emphasised else fragments.zone_tooltip(zone)
        BindContent(tooltip=tooltip).add_to(shape)
        shape.add_to(group)
        if not _drawable(zone.geometry):
            continue  # nothing to draw (a proposal stored before empty shapes were refused)
        folium.Marker(
            label_point(zone.geometry),
            icon=folium.DivIcon(
                html=fragments.zone_label(zone, colour), class_name="wabp-zone-label"
            ),
            interactive=False,
            keyboard=False,
            z_index_offset=1000,
        ).add_to(group)
    group.add_to(m)


def _add_current(m: folium.Map, zones: list[Zone]) -> None:
    group = folium.FeatureGroup(name=fragments.layer_name(CURRENT_LAYER))
    style = {"color": CURRENT_OUTLINE, "weight": 2.5, "dashArray": "7 6", "fill": False}
    for zone in zones:
        # Outlines only, not interactive: a click or hover reaches the proposed zone below.
        folium.GeoJson(_feature(zone.geometry, style), control=False, interactive=False).add_to(
            group
        )
    group.add_to(m)


def _add_overlaps(m: folium.Map, dataset: Dataset, report: Report, target: Zone) -> None:
    """Draw the area the proposal takes from other groups (the report's take-overs), in red."""
    if not report.takeovers or not _drawable(target.geometry):
        return
    group = folium.FeatureGroup(name=fragments.layer_name(OVERLAP_LAYER))
    style = {"color": OVERLAP_COLOUR, "weight": 2, "fillColor": OVERLAP_COLOUR, "fillOpacity": 0.45}
    for taken in report.takeovers:
        if taken.zone_id not in dataset.zones:
            continue
        cut = shapely.intersection(dataset.zones.get(taken.zone_id).geometry, target.geometry)
        # Polygons only: where the two only share a border the intersection also holds lines.
        part = shapely.union_all([p for p in shapely.get_parts(cut) if p.area > 0])
        if not _drawable(part):
            continue
        shape = folium.GeoJson(_feature(part, style), control=False)
        tip = f"overlapt {escape(taken.name)}: {taken.area_m2:,.0f} m², {taken.addresses} adressen"
        BindContent(tooltip=tip).add_to(shape)
        shape.add_to(group)
    group.add_to(m)


class MoveMarkers(MacroElement):  # type: ignore[misc]
    """The moved addresses as circle markers of their parent layer, created by one script loop.

    One folium element per address would do the same, but branca compiles every element's script
    as a Jinja template: 2,000 moved addresses (a whole wijk) took 5 s to render, this takes ms.
    Each point is ``[lat, lon, fill colour, tooltip]``; the tooltip is HTML-escaped already.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_points = {{ this.points|tojson }};
            {{ this.get_name() }}_points.forEach(function (p) {
                L.circleMarker([p[0], p[1]], {{ this.options|tojson }})
                    .setStyle({fillColor: p[2]})
                    .bindTooltip(p[3], {sticky: true})
                    .addTo({{ this._parent.get_name() }});
            });
        {% endmacro %}
        """
    )

    def __init__(self, points: list[tuple[float, float, str, str]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MoveMarkers"
        self.points = [list(p) for p in points]
        self.options = {
            "radius": 5,
            "color": "#ffffff",
            "weight": 1.5,
            "fillOpacity": 1.0,
            "className": MOVE_CLASS,
        }


def _add_moves(
    m: folium.Map,
    addresses: list[MovedAddress],
    colours: dict[str, ZoneColour],
    names: dict[str, str],
) -> None:
    if not addresses:
        return
    group = folium.FeatureGroup(name=fragments.layer_name(MOVES_LAYER))
    points = []
    for address in addresses:
        assert address.position is not None
        colour = colours.get(address.to_zone, NO_GROUP) if address.to_zone else NO_GROUP
        lat, lon = latlon(address.position.lon, address.position.lat)
        text = (
            f"{address.label}: van {_zone_name(names, address.from_zone)} "
            f"naar {_zone_name(names, address.to_zone)}"
        )
        points.append((lat, lon, colour.outline, escape(text)))
    MoveMarkers(points).add_to(group)
    group.add_to(m)


def _drawable(shape: BaseGeometry) -> bool:
    return not shape.is_empty and shape.area > 0


def _frame(
    shape: BaseGeometry, addresses: list[MovedAddress], dataset: Dataset
) -> BaseGeometry | None:
    """Return what the map shows at first (None: all of Belgium, as there is nothing to show)."""
    # The proposed zone, widened to the moved addresses: those leaving a shrunk zone lie outside it.
    points = [shapely.Point(a.position) for a in addresses if a.position is not None]
    parts = [shape.envelope, *points] if _drawable(shape) else points
    if not parts:
        # Nothing of the proposal to draw: the municipality, or else its zones.
        zones = [z.geometry for z in dataset.zones.active()]
        parts = [dataset.boundary] if dataset.boundary is not None else zones
    frame = shapely.union_all(parts) if parts else None
    return frame if frame is not None and not frame.is_empty else None


def _centre(frame: BaseGeometry | None) -> list[float]:
    if frame is None:
        return list(BELGIUM_LATLON)
    point = frame.envelope.centroid
    return latlon(point.x, point.y)


def _title(target: Zone, new_group: bool) -> str:
    if new_group:
        return f"Voorstel voor een nieuwe groep: {target.name}"
    return f"Voorstel voor {target.name}: huidige en voorgestelde zones"


def _zone_name(names: dict[str, str], zone_id: str | None) -> str:
    return names.get(zone_id, zone_id) if zone_id else NO_GROUP_NAME


def _feature(geometry: BaseGeometry, style: dict[str, object]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"style": style},
        "geometry": display_geojson(geometry),
    }
