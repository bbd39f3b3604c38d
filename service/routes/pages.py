"""HTML pages and health: the public map at ``/``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from service.deps import DatasetDep, StateDep
from service.models import Health

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def public_map(state: StateDep) -> HTMLResponse:
    """Serve the public zone map with the configured base layer (rendered once per generation)."""
    return HTMLResponse(state.current.public_map)


@router.get("/healthz", response_model=Health, tags=["health"])
def healthz(dataset: DatasetDep) -> Health:
    """Tell that the service is up and what it serves."""
    return Health(
        status="ok",
        dataset=dataset.meta.name,
        zones=len(dataset.zones),
        addresses=len(dataset.register),
    )
