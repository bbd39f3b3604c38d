"""``GET /api/lookup``: which WABP group is mine?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field

from service.deps import LocatorDep, locator_of
from service.query import openapi_parameters, query
from service.responses import model_response, models_response
from zones.errors import LookupInputError
from zones.lookup import MAX_QUERY_LENGTH
from zones.results import LookupResult, StreetSuggestion

MAX_BATCH = 1000

router = APIRouter(prefix="/api", tags=["lookup"])


class LookupQuery(BaseModel):
    """The query string of ``GET /api/lookup``."""

    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY_LENGTH,
        description="an address as typed: 'Heiligenbornstraat 12, 3570 Alken'",
    )
    lat: float | None = Field(default=None, description="WGS84 latitude (with lon)")
    lon: float | None = Field(default=None, description="WGS84 longitude (with lat)")
    generation: int | None = Field(
        default=None, ge=1, description="zone generation (default: the current one)"
    )


# The hottest route: its query string is one model (service.query), not four FastAPI parameters.
@router.get("/lookup", response_model=LookupResult, openapi_extra=openapi_parameters(LookupQuery))
async def lookup(request: Request) -> Response:
    """Find the group of an address (``q``) or of a point (``lat`` and ``lon``)."""
    # async: a lookup takes microseconds to a few milliseconds of CPU, less than a thread hop.
    params = query(request, LookupQuery)
    locator = await locator_of(request.app.state.wabp, params.generation)
    if params.q is not None:
        answer = model_response(locator.lookup(params.q))
    elif params.lat is not None and params.lon is not None:
        answer = model_response(locator.lookup_point(params.lon, params.lat))
    else:
        raise LookupInputError("give an address (q) or a point (lat and lon)")
    # Public answers, no cookies: a published site (another host, or opened from disk) may ask
    # when its own index is not sure.
    answer.headers["Access-Control-Allow-Origin"] = "*"
    return answer


@router.post("/lookup/batch", response_model=list[LookupResult])
def lookup_batch(
    locator: LocatorDep,
    addresses: Annotated[
        list[Annotated[str, Body(max_length=MAX_QUERY_LENGTH)]],
        Body(max_length=MAX_BATCH, description="a JSON list of up to 1,000 addresses as typed"),
    ],
) -> Response:
    """Resolve a list of addresses, answers in the same order."""
    # A plain def: up to 1,000 lookups run in the thread pool, not on the event loop.
    return models_response(locator.lookup_many(addresses), LookupResult)


@router.get("/streets", response_model=list[StreetSuggestion])
async def streets(
    locator: LocatorDep,
    q: Annotated[
        str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description="what was typed so far")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Autocomplete street names (with postcode and place), fuzzy, for every keystroke."""
    return models_response(locator.suggest_streets(q, limit), StreetSuggestion)
