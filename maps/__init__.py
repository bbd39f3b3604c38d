"""Maps drawn with folium: the public zone map. Imports ``geo`` and ``zones``, never ``service``."""

from maps.assets import STATIC_DIR
from maps.public import render_public_map
from maps.tiles import GRB_BASISKAART, NGI_CARTOWEB, TileLayerSpec

__all__ = ["GRB_BASISKAART", "NGI_CARTOWEB", "STATIC_DIR", "TileLayerSpec", "render_public_map"]
