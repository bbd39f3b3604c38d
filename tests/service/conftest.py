"""The app under test, started once per session with the shipped Alken data."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import DATA
from tests.service.apps import app_settings
from zones.dataset import Dataset


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The database and the signing key go to a temporary directory, not into the repository.
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    settings = app_settings(DATA, f"sqlite:///{db}")
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
    """An empty database: a new SQLite file, or an emptied PostgreSQL schema of this test run."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wabp.sqlite'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    _recreate_schema(url)
    return url


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """Return the test PostgreSQL URL bound to a schema of its own (dropped at the end).

    A schema per test run, not the shared public schema: two runs at once (a developer's and CI's)
    would otherwise drop each other's tables mid-test.
    """
    from sqlalchemy.engine import make_url

    assert POSTGRES_URL is not None
    schema = f"wabp_test_{os.getpid()}"
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    _recreate_schema(rendered)
    yield rendered
    _drop_schema(rendered)


def _schema_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    options = str(make_url(url).query["options"])
    return options.removeprefix("-csearch_path=")


def _recreate_schema(url: str) -> None:
    _drop_schema(url)
    _execute(url, f'CREATE SCHEMA "{_schema_of(url)}"')


def _drop_schema(url: str) -> None:
    _execute(url, f'DROP SCHEMA IF EXISTS "{_schema_of(url)}" CASCADE')


def _execute(url: str, statement: str) -> None:
    from service.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
