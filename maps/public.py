"""The public "Zones buurtpreventie" map: every active zone, the infoborden, a search and a text list.

The map is an extra; the search form and the group list are the accessible alternative that the EU
web-accessibility directive asks of a municipal map (ECOSYSTEM.md §3.2), so they carry everything.
The zones are one data-driven layer (``static/wabp/zones.js``), so a page with thousands of zones
stays a few megabytes; folium draws the frame: base tiles, boundary, infoborden and controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import shapely
from markupsafe import Markup, escape
from shapely.geometry.base import BaseGeometry

from maps import fragments
from maps.basemap import street_layer_data
from maps.colours import palette_colours, palette_indices
from maps.display import DisplayZones, display_zones
from maps.elements import DutchLayerControl, PublicMap
from maps.geometry import BELGIUM_LATLON, latlon_bounds
from maps.layers import add_boundary, add_infoborden
from maps.page import GroupRow, MapFigure, Site
from maps.tiles import TileLayerSpec, tile_layer
from maps.zonedata import script_json, zone_layer_data
from zones.dataset import Dataset
from zones.schema import Zone, to_l72
from zones.storage import InfobordFeature

# The service's server-rendered result page (service/routes/pages.py): the search without scripts.
SEARCH_PAGE = "/zoek"
# Above these counts the legend names no zones and the map page links to the group list instead.
LEGEND_MAX = 30
INLINE_GROUPS_MAX = 60


@dataclass(frozen=True)
class PreparedZones:
    """What every map of a dataset shares: the active zones, their outlines on screen and colours."""

    zones: list[Zone]
    display: DisplayZones
    colours: dict[str, int]

    @cached_property
    def by_id(self) -> dict[str, Zone]:
        """Return the zones by id (built once: each zone page needs it)."""
        return {z.id: z for z in self.zones}

    def group_rows(self, site: Site | None = None) -> list[GroupRow]:
        """Return the group list rows, in the dataset's order."""
        palette = palette_colours()
        return [
            GroupRow(
                id=z.id,
                name=z.name,
                area=z.props.area,
                streets=[rule.describe() for rule in z.props.streets],
                colour=palette[self.colours[z.id]],
                how_to_join=z.props.how_to_join,
                href=site.zone_href(z.id) if site else None,
            )
            for z in self.zones
        ]


def prepare_zones(dataset: Dataset, tolerance_m: float = 0.0) -> PreparedZones:
    """Simplify (checked against the register) and colour the active zones of a dataset."""
    zones = dataset.zones.active()
    display = display_zones(zones, dataset.register, tolerance_m)
    indices = palette_indices([z.geometry_l72 for z in zones])
    return PreparedZones(zones, display, {z.id: c for z, c in zip(zones, indices, strict=True)})


def join_href(dataset: Dataset, site: Site | None) -> str | None:
    """Return the link to the registration page, or None when a published site has none.

    The service links to its own form; a published site only to an absolute address, since a
    relative ``/aanmelden`` is dead from disk and on another host (its pages then say how to
    join through the municipality: `Site.join_elsewhere`).
    """
    if site is not None and site.join_url:
        return site.join_url
    if site is not None and not site.live:
        return None
    return fragments.safe_href(dataset.meta.join_url)


def active_infoborden(dataset: Dataset, zones: Sequence[Zone]) -> list[InfobordFeature]:
    """Return the boards of active zones (a retired zone's board points to a group one cannot join)."""
    ids = {z.id for z in zones}
    return [b for b in dataset.infoborden if b.properties.zone_id in ids]


def render_public_map(
    dataset: Dataset,
    *,
    asset_base: str = "/static",
    lookup_url: str | None = "/api/lookup",
    tiles: TileLayerSpec | None = None,
    prepared: PreparedZones | None = None,
    site: Site | None = None,
    search_action: str | None = None,
) -> str:
    """Return the full HTML page of the public zone map.

    Without `site` (the service), the search asks `lookup_url`; with `site` (a published site), it
    reads the site's own street index and `lookup_url` is only offered as a second opinion.
    """
    prepared = prepared or prepare_zones(dataset)
    zones = prepared.zones
    join_url = join_href(dataset, site)
    boards = active_infoborden(dataset, zones)
    m, zone_data = zone_map(
        dataset,
        prepared,
        zones,
        boards,
        asset_base=asset_base,
        tiles=tiles,
        site=site,
        extent=_extent(dataset.boundary, [z.geometry for z in zones]),
    )
    groups = prepared.group_rows(site)
    inline = site is None or len(groups) <= INLINE_GROUPS_MAX
    figure = MapFigure(
        "public.html.j2",
        title=f"Zones buurtpreventie {dataset.meta.name}",
        heading=f"Zones buurtpreventie {dataset.meta.name}",
        municipality=dataset.meta.name,
        asset_base=asset_base,
        site=site,
        search=lookup_url is not None or site is not None,
        lookup_url=lookup_url,
        # Without JavaScript the form goes to the service's result page; a published site has none.
        search_action=SEARCH_PAGE if site is None or site.live else search_action,
        example_address=_example_address(dataset),
        map_name=m.get_name(),
        zone_data=zone_data,
        groups=groups,
        inline_groups=inline,
        join_column=False,
        list_href="#groepen" if inline or site is None else site.href("groepen.html"),
        join_url=join_url,
        legend_max=LEGEND_MAX,
        infobord_count=len(boards),
        has_boundary=dataset.boundary is not None,
    )
    figure.add_child(m)
    return figure.render()


def zone_map(
    dataset: Dataset,
    prepared: PreparedZones,
    shown: Sequence[Zone],
    boards: Sequence[InfobordFeature],
    *,
    asset_base: str,
    tiles: TileLayerSpec | None,
    site: Site | None,
    extent: BaseGeometry | None,
    focus: str | None = None,
) -> tuple[PublicMap, Markup]:
    """Build the folium frame of a zone map and the data of its zone layer."""
    m = PublicMap(
        asset_base=asset_base,
        location=list(BELGIUM_LATLON),
        zoom_start=8,
        tiles=None,
        control_scale=True,
        # Half zoom steps let fitBounds frame the municipality more tightly.
        zoom_snap=0.5,
    )
    if tiles is not None and not tiles.from_register:
        tile_layer(tiles).add_to(m)
    if dataset.boundary is not None:
        add_boundary(m, dataset.boundary)
    add_infoborden(m, boards, prepared.by_id)
    DutchLayerControl(collapsed=True).add_to(m)
    if extent is not None and not extent.is_empty:
        m.fit_bounds(latlon_bounds(extent), padding=(12, 12))
    data = zone_layer_data(
        shown,
        prepared.display,
        prepared.colours,
        map_name=m.get_name(),
        join_url=join_href(dataset, site),
        zone_href=(lambda z: site.zone_href(z.id)) if site is not None else (lambda z: None),
        focus=focus,
        join_elsewhere=site.join_elsewhere if site is not None else "",
    )
    if tiles is not None and tiles.from_register:
        data["streets"] = register_streets(dataset, tiles, around=extent)
    return m, Markup(script_json(data))


def register_streets(
    dataset: Dataset, tiles: TileLayerSpec, *, around: BaseGeometry | None = None
) -> dict[str, object]:
    """Return the register base map's data (``streets.js``), of the streets near `around` if given."""
    bbox = None
    if around is not None and not around.is_empty:
        # The map frames `around`; a margin keeps the streets at its edges.
        xmin, ymin, xmax, ymax = to_l72(around).bounds
        bbox = (xmin - 300.0, ymin - 300.0, xmax + 300.0, ymax + 300.0)
    data = street_layer_data(dataset.register, bbox)
    data["attribution"] = escape(tiles.attribution)
    return data


def _example_address(dataset: Dataset) -> str:
    # A street of this municipality reads as a real example; the number is made up.
    streets = dataset.register.streets
    if not streets:
        return "Kerkstraat 12"
    street = next((s for s in streets if s.name == "Kerkstraat"), streets[0])
    return f"{street.name} 12, {street.postcode} {street.municipality}".strip()


def _extent(boundary: BaseGeometry | None, shapes: list[BaseGeometry]) -> BaseGeometry | None:
    # The municipality frames the map; without a boundary, the zones do.
    if boundary is not None and not boundary.is_empty:
        return boundary
    if shapes:
        return shapely.box(*shapely.total_bounds(shapes))
    return None
