"""The app under test, started once per session with the shipped Alken data."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA
from zones.dataset import Dataset


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The database and the signing key go to a temporary directory, not into the repository.
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    settings = Settings(  # type: ignore[call-arg]
        data_dir=DATA,
        database_url=f"sqlite:///{db}",
        secret_key=SecretStr("t" * 32),
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def dataset(client: TestClient) -> Dataset:
    ds: Dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
    return ds


POSTGRES_URL = os.environ.get("WABP_TEST_POSTGRES_URL")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL,
                reason="PostgreSQL case: set WABP_TEST_POSTGRES_URL (.ci/run starts a local server)",
            ),
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database: a new SQLite file, or the test PostgreSQL database emptied."""
    from service.db import make_engine
    from service.tables import Base

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wabp.sqlite'}"
    assert POSTGRES_URL is not None
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()
    return POSTGRES_URL
