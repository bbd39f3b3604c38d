"""``GET /api/lookup``: which WABP group is mine?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.deps import LocatorDep
from zones.errors import LookupInputError
from zones.lookup import MAX_QUERY_LENGTH
from zones.results import LookupResult

router = APIRouter(prefix="/api", tags=["lookup"])


@router.get("/lookup", response_model=LookupResult)
def lookup(
    locator: LocatorDep,
    q: Annotated[
        str | None,
        Query(max_length=MAX_QUERY_LENGTH, description="an address as typed: 'Heiligenbornstraat 12, 3570 Alken'"),
    ] = None,
    lat: Annotated[float | None, Query(description="WGS84 latitude (with lon)")] = None,
    lon: Annotated[float | None, Query(description="WGS84 longitude (with lat)")] = None,
) -> LookupResult:
    """Find the group of an address (``q``) or of a point (``lat`` and ``lon``)."""
    if q is not None:
        return locator.lookup(q)
    if lat is not None and lon is not None:
        return locator.lookup_point(lon, lat)
    raise LookupInputError("give an address (q) or a point (lat and lon)")
