"""The public pages: the map at ``/``, the published site's pages served live, the search page.

The same pages `wabp publish` writes (maps/livesite.py), with the same menu: ``/groepen``,
``/regels``, ``/dekking``, ``/zones/<id>``; ``/zoek?q=`` answers a search without JavaScript.
A dataset of several municipalities has the chooser at ``/`` and each municipality's pages under
its path (``/alken/``, ``/alken/groepen``, ...): `municipal_router`, included after every other
router so that its ``/{municipality}/...`` paths never hide another page.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from maps.livesite import LiveSite, Moved
from maps.public import active_infoborden
from service.deps import DatasetDep, StateDep
from service.models import Health
from zones.lookup import MAX_QUERY_LENGTH
from zones.schema import ZoneSet
from zones.storage import zones_to_geojson

router = APIRouter()
SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]*")
municipal_router = APIRouter(include_in_schema=False)


def _page(state: StateDep, path: str, folder: str | None = None) -> Response:
    found = state.current.site.serve(path, folder)
    if found is None:
        raise HTTPException(404, "page not found")
    if isinstance(found, Moved):
        return RedirectResponse(found.location, status_code=307)
    return HTMLResponse(found)


def _municipal_site(state: StateDep, municipality: str) -> LiveSite:
    site = state.current.site.municipality(municipality)
    if site is None:
        raise HTTPException(404, "page not found")
    return site


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def public_map(state: StateDep) -> HTMLResponse:
    """Serve the public zone map with the configured base layer (rendered once per generation).

    Right after a new generation the previous one's map is served until the new map is ready;
    the header names the generation the page shows.
    """
    shown = state.public_map
    return HTMLResponse(shown.html, headers={"X-WABP-Generation": str(shown.generation)})


@router.get("/groepen", response_class=HTMLResponse, include_in_schema=False)
def groups_page(state: StateDep) -> Response:
    """Serve the list of groups with their streets and house numbers."""
    return _page(state, "groepen.html")


@router.get("/regels", response_class=HTMLResponse, include_in_schema=False)
def rules_page(state: StateDep) -> Response:
    """Serve the rules every member must know (101 first, SAAR)."""
    return _page(state, "regels.html")


@router.get("/dekking", response_class=HTMLResponse, include_in_schema=False)
def coverage_page(state: StateDep) -> Response:
    """Serve the coverage page for the municipality (counts only)."""
    return _page(state, "dekking.html")


@router.get("/zones/{zone_id}", response_class=HTMLResponse, include_in_schema=False)
def zone_page(state: StateDep, zone_id: str) -> Response:
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
    return _zones_geojson(state.current.site)


@router.get("/infoborden.geojson", include_in_schema=False)
def boards_download(state: StateDep) -> JSONResponse:
    """Serve the infoborden of the active zones as GeoJSON, as the published site's download."""
    return _boards_geojson(state.current.site)


def _zones_geojson(site: LiveSite) -> JSONResponse:
    zones = ZoneSet(site.prepared.zones)
    return JSONResponse(zones_to_geojson(zones), media_type="application/geo+json")


def _boards_geojson(site: LiveSite) -> JSONResponse:
    boards = active_infoborden(site.dataset, site.prepared.zones)
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


# --- a municipality's site in a dataset of several (paths as `wabp publish` lays them out) -------


@municipal_router.get("/{municipality}/", response_class=HTMLResponse)
def municipal_map(state: StateDep, municipality: str) -> Response:
    """Serve a municipality's map with the search (which answers across all municipalities)."""
    if municipality not in state.current.site.folders and SEGMENT.fullmatch(municipality):
        # Not a municipality: "/beheer/" goes to "/beheer", as it did before this route existed
        # (only a plain segment: "/\\host" would leave the site).
        return RedirectResponse(f"/{municipality}", status_code=307)
    return _page(state, "index.html", municipality)


@municipal_router.get("/{municipality}/groepen", response_class=HTMLResponse)
def municipal_groups(state: StateDep, municipality: str) -> Response:
    """Serve a municipality's groups with their streets and house numbers."""
    return _page(state, "groepen.html", municipality)


@municipal_router.get("/{municipality}/regels", response_class=HTMLResponse)
def municipal_rules(state: StateDep, municipality: str) -> Response:
    """Serve a municipality's rules (its own rules text where it has one)."""
    return _page(state, "regels.html", municipality)


@municipal_router.get("/{municipality}/dekking", response_class=HTMLResponse)
def municipal_coverage(state: StateDep, municipality: str) -> Response:
    """Serve a municipality's coverage page (counts only)."""
    return _page(state, "dekking.html", municipality)


@municipal_router.get("/{municipality}/zones/{zone_id}", response_class=HTMLResponse)
def municipal_zone(state: StateDep, municipality: str, zone_id: str) -> Response:
    """Serve a zone's page; a zone of another municipality moves to that one's site."""
    return _page(state, f"zones/{zone_id}.html", municipality)


@municipal_router.get("/{municipality}/zones.geojson")
def municipal_zones_download(state: StateDep, municipality: str) -> JSONResponse:
    """Serve a municipality's active zones as GeoJSON, as its published site's download."""
    return _zones_geojson(_municipal_site(state, municipality))


@municipal_router.get("/{municipality}/infoborden.geojson")
def municipal_boards_download(state: StateDep, municipality: str) -> JSONResponse:
    """Serve the infoborden of a municipality's active zones, as its published site's download."""
    return _boards_geojson(_municipal_site(state, municipality))
