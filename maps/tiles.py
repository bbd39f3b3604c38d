"""Base map tile layers: a small spec and the Belgian candidates (ECOSYSTEM.md §3.5).

No tiles are used by default: the zone outlines, names and legend carry the information, every tile
request reveals the visitor's IP to the tile host, and tests run without network. Check the provider's
``GetCapabilities`` and terms before switching one on.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium


@dataclass(frozen=True)
class TileLayerSpec:
    """A Leaflet XYZ tile layer: URL template, attribution, layer name and zoom range."""

    url: str
    attribution: str
    name: str
    max_zoom: int = 18
    min_zoom: int = 0


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


def tile_layer(spec: TileLayerSpec) -> folium.TileLayer:
    """Build the folium base layer for a spec."""
    return folium.TileLayer(
        tiles=spec.url,
        attr=spec.attribution,
        name=spec.name,
        max_zoom=spec.max_zoom,
        min_zoom=spec.min_zoom,
        overlay=False,
        control=True,
    )
