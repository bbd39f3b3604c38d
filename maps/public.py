"""The public "Zones buurtpreventie" map: every active zone, the infoborden, a search and a text list.

The map is an extra; the search form and the group list are the accessible alternative that the EU
web-accessibility directive asks of a municipal map (ECOSYSTEM.md §3.2), so they carry everything.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from maps import fragments
from maps.colours import zone_colours
from maps.elements import DutchLayerControl, PublicMap
from maps.geometry import BELGIUM_LATLON, latlon_bounds
from maps.layers import add_boundary, add_infoborden, add_zone
from maps.page import GroupRow, PageContent, PageFigure
from maps.tiles import TileLayerSpec, tile_layer
from zones.dataset import Dataset


def render_public_map(
    dataset: Dataset,
    *,
    asset_base: str = "/static",
    lookup_url: str | None = "/api/lookup",
    tiles: TileLayerSpec | None = None,
) -> str:
    """Return the full HTML page of the public zone map."""
    zones = dataset.zones.active()
    colours = zone_colours(len(zones))
    join_url = fragments.safe_href(dataset.meta.join_url)

    m = PublicMap(
        asset_base=asset_base,
        location=list(BELGIUM_LATLON),
        zoom_start=8,
        tiles=None,
        control_scale=True,
        # Half zoom steps let fitBounds frame the municipality more tightly.
        zoom_snap=0.5,
    )
    if tiles is not None:
        tile_layer(tiles).add_to(m)
    if dataset.boundary is not None:
        add_boundary(m, dataset.boundary)
    # Largest first: small zones are drawn on top (clickable) and big zones' names get placed first.
    by_area = sorted(zip(zones, colours, strict=True), key=lambda zc: -zc[0].geometry_l72.area)
    for zone, colour in by_area:
        add_zone(m, zone, colour, join_url)
    by_id = {z.id: z for z in zones}
    # A board of a retired or proposed zone would point residents to a group they cannot join.
    boards = [b for b in dataset.infoborden if b.properties.zone_id in by_id]
    add_infoborden(m, boards, by_id)
    DutchLayerControl(collapsed=True).add_to(m)

    extent = _extent(dataset.boundary, [z.geometry for z in zones])
    if extent is not None:
        m.fit_bounds(latlon_bounds(extent), padding=(12, 12))

    rows = [
        GroupRow(
            name=z.name,
            area=z.props.area,
            streets=[rule.describe() for rule in z.props.streets],
            colour=colour,
            how_to_join=z.props.how_to_join,
        )
        for z, colour in zip(zones, colours, strict=True)
    ]
    content = PageContent(
        municipality=dataset.meta.name,
        groups=rows,
        join_url=join_url,
        lookup_url=lookup_url,
        example_address=_example_address(dataset),
        map_name=m.get_name(),
        infobord_count=len(boards),
        has_boundary=dataset.boundary is not None,
    )
    figure = PageFigure(content)
    figure.add_child(m)
    return figure.render()


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
        return shapely.union_all(shapes)
    return None
