"""Base map tile layers: a small spec, OpenStreetMap and the Belgian candidates (ECOSYSTEM.md §3.5).

The service shows OpenStreetMap by default (``WABP_TILES``): after a search a resident needs streets
around the dot, and a coordinator needs them to draw a boundary. Every tile request reveals the
visitor's IP address to the tile host, so a municipality may prefer a Belgian public service
(``grb``, ``cartoweb``) or ``none``; a published site loads nothing from another host unless
``--tiles`` says so. Check the provider's terms (and ``GetCapabilities``) before switching.
``register`` needs no tile host at all: streets drawn from the register's own address points
(``maps/basemap.py``), for an offline service or site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import escape
from urllib.parse import urlsplit

import folium

from maps.basemap import REGISTER_ATTRIBUTION


@dataclass(frozen=True)
class TileLayerSpec:
    """A Leaflet XYZ tile layer: URL template, attribution, layer name and zoom range."""

    url: str
    attribution: str
    name: str
    max_zoom: int = 18
    min_zoom: int = 0
    # True for the streets drawn from the address register: no tiles, no URL (maps/basemap.py).
    from_register: bool = False


# Flanders only; EPSG:3857 through the `GoogleMapsVL` tile matrix set.
GRB_BASISKAART = TileLayerSpec(
    url=(
        "https://geo.api.vlaanderen.be/GRB/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=grb_bsk&STYLE=&FORMAT=image/png&TILEMATRIXSET=GoogleMapsVL"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
    ),
    attribution="© Digitaal Vlaanderen",
    name="GRB basiskaart",
    max_zoom=19,
)

# All of Belgium. The path is {z}/{y}/{x} (row before column), unlike most XYZ services.
NGI_CARTOWEB = TileLayerSpec(
    url="https://cartoweb.wmts.ngi.be/1.0.0/topo/default/3857/{z}/{y}/{x}.png",
    attribution="© NGI/IGN (CartoWeb.be)",
    name="NGI CartoWeb",
    max_zoom=17,
    min_zoom=7,
)

# OpenStreetMap's own tiles: free for moderate use with the credit shown (its tile usage policy).
OSM = TileLayerSpec(
    url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    attribution="© OpenStreetMap-bijdragers",
    name="OpenStreetMap",
    max_zoom=19,
)
# Lines through each street's address points, drawn in the browser from the page's own data.
REGISTER_STREETS = TileLayerSpec(
    url="",
    attribution=REGISTER_ATTRIBUTION,
    name="Straten uit het adressenregister",
    max_zoom=19,
    from_register=True,
)
DEFAULT_TILES = "osm"

NAMED = {"osm": OSM, "grb": GRB_BASISKAART, "cartoweb": NGI_CARTOWEB, "register": REGISTER_STREETS}
_XYZ_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def tiles_from_setting(value: str, attribution: str | None = None) -> TileLayerSpec | None:
    """Return the base layer for ``none``, ``osm``, ``grb``, ``cartoweb``, ``register`` or an XYZ URL.

    A URL needs its `attribution` (the provider's terms ask for it); for a named layer it replaces
    the default one. Raises ValueError with what to fix.
    """
    key = value.strip().lower()
    if key == "none":
        return None
    if key in NAMED:
        spec = NAMED[key]
        return replace(spec, attribution=attribution) if attribution else spec
    if not _XYZ_URL.match(value) or not all(p in value for p in ("{z}", "{x}", "{y}")):
        raise ValueError(
            f"tiles {value!r}: use none, osm, grb, cartoweb, register or an http(s) URL with {{z}}, {{x}} "
            "and {y}"
        )
    if not attribution:
        raise ValueError("a tile URL needs --attribution (the provider's required credit)")
    return TileLayerSpec(url=value, attribution=attribution, name="Achtergrondkaart")


def tile_layer(spec: TileLayerSpec) -> folium.TileLayer:
    """Build the folium base layer for a spec."""
    return folium.TileLayer(
        tiles=spec.url,
        # Leaflet puts the attribution into the page as HTML.
        attr=escape(spec.attribution),
        name=spec.name,
        max_zoom=spec.max_zoom,
        min_zoom=spec.min_zoom,
        overlay=False,
        control=True,
    )


def tile_origin(spec: TileLayerSpec | None) -> str | None:
    """Return the origin the tiles load from (for a Content-Security-Policy), or None."""
    if spec is None or spec.from_register:
        return None
    parts = urlsplit(spec.url)
    return f"{parts.scheme}://{parts.netloc}"
