"""HTML pages and health: the public map at ``/``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from maps.tiles import TileLayerSpec, tiles_from_setting
from service.deps import DatasetDep, SettingsDep, StateDep
from service.models import Health

router = APIRouter()


def base_tiles(settings: SettingsDep) -> TileLayerSpec | None:
    """Return the base layer of the ``tiles`` setting, the same one `wabp publish` uses."""
    return tiles_from_setting(settings.tiles, settings.tiles_attribution)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def public_map(
    state: StateDep, tiles: Annotated[TileLayerSpec | None, Depends(base_tiles)]
) -> HTMLResponse:
    """Serve the public zone map (rendered once per generation and base layer)."""
    return HTMLResponse(state.public_map(tiles))


@router.get("/healthz", response_model=Health, tags=["health"])
def healthz(dataset: DatasetDep) -> Health:
    """Tell that the service is up and what it serves."""
    return Health(
        status="ok",
        dataset=dataset.meta.name,
        zones=len(dataset.zones),
        addresses=len(dataset.register),
    )
