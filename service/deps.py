"""Typed dependencies: the state built once at start-up, handed to thin routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from service.settings import Settings
from service.state import ServiceState
from zones.dataset import Dataset
from zones.lookup import Locator


# Dependencies that only read app state are `async def`: FastAPI runs a plain `def` dependency in
# the thread pool, a hop that costs more than the work of a lookup.
async def get_state(request: Request) -> ServiceState:
    """Return the service state built at start-up."""
    state: ServiceState = request.app.state.wabp
    return state


async def get_dataset(request: Request) -> Dataset:
    """Return the current generation's dataset."""
    state: ServiceState = request.app.state.wabp
    return state.current.dataset


async def get_locator(
    request: Request,
    generation: Annotated[
        int | None, Query(ge=1, description="zone generation (default: the current one)")
    ] = None,
) -> Locator:
    """Return the address locator of the requested generation (the current one by default)."""
    return await locator_of(request.app.state.wabp, generation)


async def locator_of(state: ServiceState, generation: int | None) -> Locator:
    """Return the address locator of `generation` (None: the current one)."""
    if generation is None or generation == state.current.generation:
        return state.current.locator
    # Another generation may have to be read and indexed (seconds): not on the event loop.
    return await run_in_threadpool(state.locator, generation)


async def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


DatasetDep = Annotated[Dataset, Depends(get_dataset)]
LocatorDep = Annotated[Locator, Depends(get_locator)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StateDep = Annotated[ServiceState, Depends(get_state)]
