"""Typed dependencies: the state built once at start-up, handed to thin routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.settings import Settings
from zones.dataset import Dataset
from zones.lookup import Locator


def get_dataset(request: Request) -> Dataset:
    """Return the dataset loaded at start-up."""
    dataset: Dataset = request.app.state.dataset
    return dataset


def get_locator(request: Request) -> Locator:
    """Return the address locator built at start-up."""
    locator: Locator = request.app.state.locator
    return locator


def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


DatasetDep = Annotated[Dataset, Depends(get_dataset)]
LocatorDep = Annotated[Locator, Depends(get_locator)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
