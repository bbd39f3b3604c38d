"""HTML pages and health: the public map at ``/``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.deps import DatasetDep
from service.models import Health

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def public_map(request: Request) -> HTMLResponse:
    """Serve the public zone map (built once at start-up)."""
    return HTMLResponse(request.app.state.map_html)


@router.get("/healthz", response_model=Health, tags=["health"])
def healthz(dataset: DatasetDep) -> Health:
    """Tell that the service is up and what it serves."""
    return Health(status="ok", dataset=dataset.meta.name, zones=len(dataset.zones), addresses=len(dataset.register))
