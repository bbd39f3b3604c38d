"""The page of one zone: its map with the neighbouring zones, its streets, infobord and how to join."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from maps import fragments
from maps.colours import palette_colours
from maps.page import MapFigure, Site
from maps.public import PreparedZones, active_infoborden, join_href, zone_map
from maps.tiles import TileLayerSpec
from zones.coverage import StreetNumbers
from zones.dataset import Dataset
from zones.schema import Zone
from zones.storage import InfobordFeature

# Zones this close (m) to a zone are drawn on its page, so residents see where the next group starts.
NEIGHBOUR_DISTANCE_M = 150.0


def neighbours(
    zones: Sequence[Zone], distance_m: float = NEIGHBOUR_DISTANCE_M
) -> dict[str, list[Zone]]:
    """Return, per zone id, the other zones within `distance_m` of it."""
    shapes = np.array([z.geometry_l72 for z in zones], dtype=object)
    if not len(shapes):
        return {}
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="dwithin", distance=distance_m)
    out: dict[str, list[Zone]] = {z.id: [] for z in zones}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a != b:
            out[zones[a].id].append(zones[b])
    return out


def render_zone_page(
    dataset: Dataset,
    prepared: PreparedZones,
    zone: Zone,
    *,
    near: Sequence[Zone],
    streets: Sequence[StreetNumbers],
    addresses: int,
    site: Site,
    asset_base: str,
    tiles: TileLayerSpec | None = None,
    boards: Sequence[InfobordFeature] | None = None,
) -> str:
    """Return the HTML page of one zone (`boards`: its infoborden, when already known)."""
    if boards is None:
        boards = [
            b for b in active_infoborden(dataset, prepared.zones) if b.properties.zone_id == zone.id
        ]
    m, zone_data = zone_map(
        dataset,
        prepared,
        [zone, *near],
        boards,
        asset_base=asset_base,
        tiles=tiles,
        site=site,
        extent=zone.geometry,
        focus=zone.id,
    )
    figure = MapFigure(
        "zone.html.j2",
        title=f"{zone.name} - Zones buurtpreventie {dataset.meta.name}",
        heading=zone.name,
        municipality=dataset.meta.name,
        asset_base=asset_base,
        site=site,
        zone=zone,
        colour=palette_colours()[prepared.colours[zone.id]],
        neighbours=bool(near),
        has_boundary=dataset.boundary is not None,
        boards=[fragments.infobord_title(b, zone) for b in boards],
        streets=streets,
        addresses=addresses,
        join_url=join_href(dataset, site),
        map_name=m.get_name(),
        zone_data=zone_data,
    )
    figure.add_child(m)
    return figure.render()
