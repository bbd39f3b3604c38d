"""The folium layers of the zone maps: the municipality boundary and the infoborden.

The zones themselves are one data-driven layer (maps/zonedata.py and static/wabp/zones.js).
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from shapely.geometry.base import BaseGeometry

from maps import fragments
from maps.elements import BindContent
from maps.geometry import display_geojson, latlon
from zones.schema import Zone
from zones.storage import InfobordFeature

BOUNDARY_COLOUR = "#333333"
INFOBORD_CLASS = "wabp-infobord"


def add_boundary(m: folium.Map, boundary: BaseGeometry) -> None:
    """Draw the municipality boundary as a dashed outline that does not catch clicks."""
    style = {"color": BOUNDARY_COLOUR, "weight": 2.5, "dashArray": "8 6", "fill": False}
    folium.GeoJson(
        _feature(boundary, style),
        name=fragments.layer_name("Gemeentegrens"),
        interactive=False,
    ).add_to(m)


def add_infoborden(
    m: folium.Map, boards: Sequence[InfobordFeature], zones: dict[str, Zone]
) -> None:
    """Add the information boards as one layer of focusable markers, each with a title."""
    if not boards:
        return
    group = folium.FeatureGroup(name=fragments.layer_name("Infoborden"))
    for board in boards:
        zone = zones.get(board.properties.zone_id)
        title = fragments.infobord_title(board, zone)
        lon, lat = board.geometry.coordinates[0], board.geometry.coordinates[1]
        marker = folium.Marker(
            latlon(lon, lat),
            icon=folium.DivIcon(
                html=fragments.infobord_icon(title),
                class_name=INFOBORD_CLASS,
                icon_size=(26, 26),
                icon_anchor=(13, 13),
            ),
            title=title,
            alt=title,
        )
        BindContent(popup=fragments.infobord_popup(board, zone)).add_to(marker)
        marker.add_to(group)
    group.add_to(m)


def _feature(geometry: BaseGeometry, style: dict[str, object]) -> dict[str, object]:
    # folium's GeoJson without a style_function styles each feature from `properties.style`.
    return {
        "type": "Feature",
        "properties": {"style": style},
        "geometry": display_geojson(geometry),
    }
