"""The public pages: the map at ``/``, the published site's pages served live, the search page.

The same pages `wabp publish` writes (maps/livesite.py), with the same menu: ``/groepen``,
``/regels``, ``/dekking``, ``/zones/<id>``; ``/zoek?q=`` answers a search without JavaScript.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from maps.public import active_infoborden
from service.deps import DatasetDep, StateDep
from service.models import Health
from zones.lookup import MAX_QUERY_LENGTH
from zones.schema import ZoneSet
from zones.storage import zones_to_geojson

router = APIRouter()


def _page(state: StateDep, path: str) -> HTMLResponse:
    html = state.current.site.page(path)
    if html is None:
        raise HTTPException(404, "page not found")
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def public_map(state: StateDep) -> HTMLResponse:
    """Serve the public zone map with the configured base layer (rendered once per generation)."""
    return HTMLResponse(state.current.public_map)


@router.get("/groepen", response_class=HTMLResponse, include_in_schema=False)
def groups_page(state: StateDep) -> HTMLResponse:
    """Serve the list of groups with their streets and house numbers."""
    return _page(state, "groepen.html")


@router.get("/regels", response_class=HTMLResponse, include_in_schema=False)
def rules_page(state: StateDep) -> HTMLResponse:
    """Serve the rules every member must know (101 first, SAAR)."""
    return _page(state, "regels.html")


@router.get("/dekking", response_class=HTMLResponse, include_in_schema=False)
def coverage_page(state: StateDep) -> HTMLResponse:
    """Serve the coverage page for the municipality (counts only)."""
    return _page(state, "dekking.html")


@router.get("/zones/{zone_id}", response_class=HTMLResponse, include_in_schema=False)
def zone_page(state: StateDep, zone_id: str) -> HTMLResponse:
    """Serve the page of one active zone: its map, streets, infobord and how to join."""
    return _page(state, f"zones/{zone_id}.html")


@router.get("/zoek", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    state: StateDep,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
) -> HTMLResponse:
    """Answer a typed address as a page: the search without JavaScript."""
    # The answer holds the resident's address: never kept by a cache on the way.
    return HTMLResponse(state.current.site.result_page(q), headers={"Cache-Control": "no-store"})


@router.get("/zones.geojson", include_in_schema=False)
def zones_download(state: StateDep) -> JSONResponse:
    """Serve the active zones as GeoJSON, as the published site's download."""
    zones = ZoneSet(state.current.site.prepared.zones)
    return JSONResponse(zones_to_geojson(zones), media_type="application/geo+json")


@router.get("/infoborden.geojson", include_in_schema=False)
def boards_download(state: StateDep) -> JSONResponse:
    """Serve the infoborden of the active zones as GeoJSON, as the published site's download."""
    current = state.current
    boards = active_infoborden(current.dataset, current.site.prepared.zones)
    body = {"type": "FeatureCollection", "features": [b.model_dump(mode="json") for b in boards]}
    return JSONResponse(body, media_type="application/geo+json")


@router.get("/healthz", response_model=Health, tags=["health"])
def healthz(dataset: DatasetDep) -> Health:
    """Tell that the service is up and what it serves."""
    return Health(
        status="ok",
        dataset=dataset.meta.name,
        zones=len(dataset.zones),
        addresses=len(dataset.register),
    )
