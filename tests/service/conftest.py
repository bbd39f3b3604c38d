"""The app under test, started once per session with the shipped Alken data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA
from zones.dataset import Dataset


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    settings = Settings(data_dir=DATA, _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def dataset(client: TestClient) -> Dataset:
    ds: Dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
    return ds
