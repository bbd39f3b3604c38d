"""Typed dependencies: the state built once at start-up, handed to thin routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from service.settings import Settings
from service.state import ServiceState
from zones.dataset import Dataset
from zones.lookup import Locator


def get_state(request: Request) -> ServiceState:
    """Return the service state built at start-up."""
    state: ServiceState = request.app.state.wabp
    return state


def get_dataset(request: Request) -> Dataset:
    """Return the current generation's dataset."""
    return get_state(request).current.dataset


def get_locator(
    request: Request,
    generation: Annotated[
        int | None, Query(ge=1, description="zone generation (default: the current one)")
    ] = None,
) -> Locator:
    """Return the address locator of the requested generation (the current one by default)."""
    return get_state(request).locator(generation)


def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


DatasetDep = Annotated[Dataset, Depends(get_dataset)]
LocatorDep = Annotated[Locator, Depends(get_locator)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StateDep = Annotated[ServiceState, Depends(get_state)]
