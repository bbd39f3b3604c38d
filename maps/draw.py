"""The ``/voorstel`` page: a signed-in coordinator draws, reshapes or picks the streets of a zone.

The page is static HTML; everything personal happens in the browser against the API (sign-in, the
user's zone, the proposal), so one rendering serves every user. Its script is a separate file
(``static/wabp/voorstel.js``) configured through ``data-`` attributes: no inline script or event
handler, so a strict Content-Security-Policy (``script-src 'self'``) can be sent with it. The editor
is Leaflet-Geoman, vendored like Leaflet (ECOSYSTEM.md §1.12: folium's ``plugins.GeoMan`` loads
``@latest`` from unpkg). The drawn shape is only a proposal: the API validates it (§1.2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
from markupsafe import Markup

from maps.assets import api_base_path, asset_url
from maps.colours import palette_colours, palette_indices
from maps.geometry import BELGIUM_LATLON, LatLonBounds, display_geojson, latlon_bounds
from maps.page import render_template
from maps.public import register_streets
from maps.tiles import TileLayerSpec
from maps.zonedata import script_json
from zones.dataset import Dataset

GEOMAN_VERSION = "2.20.2"
PROPOSAL_MAP_URL = "/proposals/{id}/map"


@dataclass(frozen=True)
class DrawPage:
    """What the template needs: texts, asset URLs and the script's configuration (JSON strings)."""

    title: str
    municipality: str
    stylesheets: list[str]
    scripts: list[str]
    api_base: str
    proposal_map_url: str
    bounds: str
    boundary: str
    tiles: str
    # {zone id: [fill, outline]}: the register's address points are drawn in their zone's colours.
    colours: str
    # The register base map's data (maps/basemap.py) when it is the base map, else "".
    streets: Markup


def render_draw_page(
    dataset: Dataset,
    *,
    asset_base: str = "/static",
    api_base: str = "/api",
    tiles: TileLayerSpec | None = None,
) -> str:
    """Return the HTML of the page where a coordinator proposes the boundary of a zone."""
    api_base = api_base_path(api_base)
    page = DrawPage(
        title="Zonevoorstel indienen",
        municipality=dataset.meta.name,
        stylesheets=[
            asset_url(asset_base, "vendor/leaflet/leaflet.css"),
            asset_url(asset_base, "vendor/geoman/leaflet-geoman.css"),
            asset_url(asset_base, "wabp/public-map.css"),
            asset_url(asset_base, "wabp/voorstel.css"),
        ],
        scripts=[
            asset_url(asset_base, "vendor/leaflet/leaflet.js"),
            asset_url(asset_base, "vendor/geoman/leaflet-geoman.min.js"),
            asset_url(asset_base, "wabp/streets.js"),
            asset_url(asset_base, "wabp/voorstel.js"),
        ],
        api_base=api_base,
        proposal_map_url=PROPOSAL_MAP_URL,
        bounds=json.dumps(_bounds(dataset)),
        boundary=json.dumps(
            display_geojson(dataset.boundary) if dataset.boundary is not None else None
        ),
        tiles=json.dumps(
            None
            if tiles is None or tiles.from_register
            else {
                "url": tiles.url,
                "attribution": tiles.attribution,
                "minZoom": tiles.min_zoom,
                "maxZoom": tiles.max_zoom,
            }
        ),
        colours=json.dumps(_colours(dataset)),
        streets=Markup(
            script_json(register_streets(dataset, tiles))
            if tiles is not None and tiles.from_register
            else ""
        ),
    )
    return render_template("voorstel.html.j2", page=page)


def _colours(dataset: Dataset) -> dict[str, list[str]]:
    """Return the public map's colours of each active zone (the same zone, the same colour)."""
    zones = dataset.zones.active()
    palette = palette_colours()
    indices = palette_indices([z.geometry_l72 for z in zones])
    return {
        z.id: [palette[i].fill, palette[i].outline] for z, i in zip(zones, indices, strict=True)
    }


def _bounds(dataset: Dataset) -> LatLonBounds:
    # The municipality frames the map until the user's zone is known; without it, the zones do.
    if dataset.boundary is not None and not dataset.boundary.is_empty:
        return latlon_bounds(dataset.boundary)
    zones = [z.geometry for z in dataset.zones.active()]
    if zones:
        return latlon_bounds(shapely.union_all(zones))
    lat, lon = BELGIUM_LATLON
    return [[lat - 1.0, lon - 1.5], [lat + 1.0, lon + 1.5]]
