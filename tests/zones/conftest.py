"""Fixtures of the zones tests: the shipped Alken dataset, loaded and indexed once per session."""

from __future__ import annotations

import shutil

import pytest

from tests.common import DATA
from zones.dataset import Dataset
from zones.lookup import Locator


@pytest.fixture(scope="session")
def alken(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Return the shipped Alken dataset (register, zones, boundary, infoborden), strictly validated.

    Loaded from a copy, so that nothing a load writes (its cache) lands in the repository.
    """
    root = tmp_path_factory.mktemp("alken")
    shutil.copytree(DATA, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".cache"))
    return Dataset.load(root)


@pytest.fixture(scope="session")
def locator(alken: Dataset) -> Locator:
    """Return a locator over the shipped dataset."""
    return Locator(alken)
