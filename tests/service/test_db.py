"""The database layer: SQLite settings, migrations, transactions and the per-request session."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.db import (
    MIGRATIONS_DIR,
    SessionDep,
    alembic_config,
    current_revision,
    make_engine,
    make_sessionmaker,
    upgrade,
)
from service.settings import Settings
from service.tables import AuditEvent, Base, Proposal, User
from tests.conftest import DATA
from tests.service.apps import TEST_KEY, app_settings, copy_dataset

TABLES = {
    "users",
    "audit_events",
    "proposals",
    "registrations",
    "consents",
    "outbox",
    "mail_preferences",
    "account_links",
    "staff_sessions",
    "zone_generations",
    "rate_events",
    "used_csrf_tokens",
    "alembic_version",
}
# The newest migration, from the scripts: several branches add migrations, each at the head.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# --- SQLite connection settings ----------------------------------------------------------------


def test_sqlite_pragmas_are_on_for_every_connection(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    for _ in range(2):  # the first connection and a later one from the pool
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which SQLite alone would make a world-readable file."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_default_database_is_private_after_app_start(tmp_path: Path, umask_022: None) -> None:
    data_dir = copy_dataset(tmp_path / "alken")
    settings = Settings(data_dir=data_dir, secret_key=TEST_KEY, _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        # WAL mode: the write-ahead log and shared-memory index exist while the app runs.
        files = [data_dir / f"wabp.sqlite{suffix}" for suffix in ("", "-wal", "-shm")]
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files
        }


def test_an_existing_database_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "wabp.sqlite"
    path.touch(mode=0o640)  # an operator's choice, e.g. a backup group may read it
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_bare_postgresql_url_uses_psycopg_3() -> None:
    engine = make_engine("postgresql://wabp:secret@localhost/wabp")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


# --- migrations --------------------------------------------------------------------------------


def test_migration_creates_the_tables(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == HEAD


def test_migration_matches_the_tables_module(engine: Engine) -> None:
    # A change to service/tables.py without a new migration shows up here.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == HEAD


def test_migrations_are_found_from_the_package_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    location = Path(alembic_config().get_main_option("script_location"))
    assert location == MIGRATIONS_DIR and location.is_absolute()
    assert (location / "versions" / "0001_initial.py").is_file()
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    upgrade(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_app_start_migrates_a_new_database(database_url: str) -> None:
    settings = app_settings(DATA, database_url)
    with TestClient(create_app(settings)):
        engine = make_engine(database_url)
        assert set(inspect(engine).get_table_names()) >= TABLES
        engine.dispose()


def test_cli_db_upgrade(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABP_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["db", "upgrade", "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert f"at revision {HEAD}" in result.stdout
    assert ":secret@" not in result.stdout


def test_cli_db_upgrade_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABP_DATABASE_URL", "sqlite:////nonexistent-dir/x/wabp.sqlite")
    result = CliRunner().invoke(cli, ["db", "upgrade", "--data", str(DATA)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


# --- data integrity ----------------------------------------------------------------------------


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        session.add(Proposal(feature_json="{}", base_generation=1, created_by="no-such-user"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_coordinator_without_zone_is_refused_by_the_database(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        session.add(User(email="c@example.be", password_hash="x", role="coordinator"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_timestamps_come_back_aware_in_utc(engine: Engine) -> None:
    brussels = timezone(timedelta(hours=2))
    at = datetime(2026, 6, 1, 14, 30, tzinfo=brussels)
    with make_sessionmaker(engine)() as session:
        session.add(AuditEvent(at=at, action="test", object_type="x", object_id="1"))
        session.commit()
    with make_sessionmaker(engine)() as session:
        stored = session.scalars(select(AuditEvent)).one().at
    assert stored == at and stored.tzinfo == UTC


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        session.add(AuditEvent(at=datetime(2026, 6, 1), action="t", object_type="x", object_id="1"))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


# --- concurrency -------------------------------------------------------------------------------


def read_then_write(engine: Engine, start: threading.Barrier, errors: list[BaseException]) -> None:
    """Count the events, pause, then add one: the pattern that deadlocks a deferred transaction."""
    try:
        start.wait()
        with make_sessionmaker(engine)() as session:
            seen = session.scalar(select(func.count()).select_from(AuditEvent))
            time.sleep(0.05)
            session.add(AuditEvent(action="t", object_type="x", object_id=str(seen)))
            session.commit()
    except BaseException as exc:
        errors.append(exc)


def test_two_threads_read_then_write_both_succeed(engine: Engine) -> None:
    start, errors = threading.Barrier(2), list[BaseException]()
    threads = [
        threading.Thread(target=read_then_write, args=(engine, start, errors)) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with make_sessionmaker(engine)() as session:
        ids = sorted(session.scalars(select(AuditEvent.object_id)))
    if is_sqlite(engine):
        assert ids == ["0", "1"]  # serialized: the second saw the first one's row
    else:
        assert len(ids) == 2


def test_without_begin_immediate_sqlite_fails_with_busy(tmp_path: Path) -> None:
    # The contrast that shows why service.db uses BEGIN IMMEDIATE: two deferred transactions that
    # both read before either writes; the second writer gets "database is locked" at once.
    url = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    migrated = make_engine(url)
    upgrade(migrated)
    migrated.dispose()
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    both_read, errors = threading.Barrier(2), list[BaseException]()

    def worker() -> None:
        try:
            with make_sessionmaker(engine)() as session:
                session.scalar(select(func.count()).select_from(AuditEvent))
                both_read.wait()
                session.add(AuditEvent(action="t", object_type="x", object_id="1"))
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and isinstance(errors[0], OperationalError)
    assert "locked" in str(errors[0])
    engine.dispose()


# --- the per-request session -------------------------------------------------------------------


@pytest.fixture
def session_app(database_url: str) -> Iterator[tuple[TestClient, Engine]]:
    settings = app_settings(DATA, database_url)
    app = create_app(settings)

    @app.post("/test/events")
    def add_event(session: SessionDep, fail: bool = False, commit: bool = True) -> dict[str, str]:
        session.add(AuditEvent(action="t", object_type="x", object_id="1"))
        session.flush()
        if fail:
            raise ValueError("boom")
        if commit:
            session.commit()
        return {"ok": "yes"}

    with TestClient(app, raise_server_exceptions=False) as client:
        engine = make_engine(database_url)
        yield client, engine
        engine.dispose()


def count_events(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_session_commits_when_the_route_succeeds(session_app: tuple[TestClient, Engine]) -> None:
    client, engine = session_app
    assert client.post("/test/events").status_code == 200
    assert count_events(engine) == 1


def test_session_rolls_back_when_the_route_raises(session_app: tuple[TestClient, Engine]) -> None:
    client, engine = session_app
    response = client.post("/test/events", params={"fail": True})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert count_events(engine) == 0


def test_a_route_that_forgets_to_commit_answers_500_and_stores_nothing(
    session_app: tuple[TestClient, Engine],
) -> None:
    # Routes commit inside the request; closing the session never commits for them, so a
    # forgotten commit is loud (500, logged) instead of a 200 for data that was rolled back.
    client, engine = session_app
    response = client.post("/test/events", params={"commit": False})
    assert response.status_code == 500
    assert count_events(engine) == 0
    assert client.post("/test/events").status_code == 200  # the connection went back clean
    assert count_events(engine) == 1
