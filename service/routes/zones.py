"""``/api/zones`` and ``/api/groups``: the published zones and the public group list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from service.deps import DatasetDep, LocatorDep
from service.models import Group
from zones.points import BBOX_PATTERN, AddressPoints, address_points, parse_bbox
from zones.storage import zone_to_feature, zones_to_geojson

router = APIRouter(prefix="/api", tags=["zones"])
GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """A JSON response with the GeoJSON media type (RFC 7946)."""

    media_type = GEOJSON


@router.get("/zones", response_class=GeoJSONResponse, responses={200: {"content": {GEOJSON: {}}}})
def list_zones(locator: LocatorDep) -> Any:
    """Return every zone of a generation (default: the current one) as a GeoJSON FeatureCollection."""
    return GeoJSONResponse(zones_to_geojson(locator.ds.zones))


@router.get(
    "/zones/{zone_id}",
    response_class=GeoJSONResponse,
    responses={200: {"content": {GEOJSON: {}}}, 404: {}},
)
def get_zone(zone_id: str, locator: LocatorDep) -> Any:
    """Return one zone as a GeoJSON Feature; 404 if the id is unknown."""
    return GeoJSONResponse(zone_to_feature(locator.ds.zones.get(zone_id)))


@router.get("/addresses", response_model=AddressPoints)
def list_address_points(
    dataset: DatasetDep,
    bbox: Annotated[
        str,
        Query(
            pattern=BBOX_PATTERN,
            description="min lon, min lat, max lon, max lat (WGS84)",
        ),
    ],
) -> AddressPoints:
    """Return the register's positioned addresses in a box with their zone (no names: open data)."""
    return address_points(dataset, parse_bbox(bbox))


@router.get("/groups", response_model=list[Group])
def list_groups(dataset: DatasetDep) -> list[Group]:
    """Return the public list of groups: name, area, streets and size."""
    counts = dataset.table.counts()
    return [Group.from_zone(z, counts[z.id]) for z in dataset.zones.active()]
