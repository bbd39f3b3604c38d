"""Fixtures of the zones tests: the shipped Alken dataset, loaded and indexed once per session."""

from __future__ import annotations

import pytest

from zones.dataset import Dataset
from zones.lookup import Locator
from tests.common import DATA


@pytest.fixture(scope="session")
def alken() -> Dataset:
    """Return the shipped Alken dataset (register, zones, boundary, infoborden), strictly validated."""
    return Dataset.load(DATA)


@pytest.fixture(scope="session")
def locator(alken: Dataset) -> Locator:
    """Return a locator over the shipped dataset."""
    return Locator(alken)
