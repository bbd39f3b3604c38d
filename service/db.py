"""The database: engine (SQLite by default, PostgreSQL by URL), sessions and Alembic migrations.

SQLite allows one writer at a time. Every connection gets WAL, foreign keys, a busy timeout and
``synchronous=NORMAL``; every transaction starts with ``BEGIN IMMEDIATE``, so a transaction that
reads and then writes waits for the write lock up front instead of failing with ``SQLITE_BUSY``
half-way (a deferred transaction cannot upgrade its lock once another writer committed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from service.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "wabp.sqlite"
SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=5000",  # first, so the pragmas below wait for a lock too
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
)


def database_url(settings: Settings) -> str:
    """Return the configured database URL, or the SQLite file in the data directory."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / SQLITE_FILE).resolve()}"


def _with_driver(url: URL) -> URL:
    # A bare postgresql:// would pick psycopg2, which is not installed; psycopg 3 is.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _create_private_file(url: URL) -> None:
    # SQLite creates a new database with the umask's mode (often 0644: world-readable) and gives
    # the -wal and -shm files the database's mode, so an owner-only file made first keeps all
    # three private. An existing file keeps the mode its operator chose.
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query.get("mode"):
        return
    if not Path(path).parent.is_dir():
        return  # SQLite reports the missing directory when it connects
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite must not emit its own BEGIN (it would be a deferred one, and only before DML).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine; a SQLite file is made owner-only, and gets the pragmas described above."""
    parsed = _with_driver(make_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    _create_private_file(parsed)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory for an engine."""
    # Objects stay readable after commit: responses are built from them without a new query.
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Any:
    """Return an Alembic config whose scripts are found from this package, not the CWD."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolation: a '%' in the install path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction."""
    from alembic import command

    # One transaction (BEGIN IMMEDIATE on SQLite): two processes starting at once migrate one
    # after the other, and the second finds the schema already at head.
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def new_revision(engine: Engine, message: str) -> Path:
    """Autogenerate the next numbered migration (0002_..., 0003_...) and return its path."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with engine.begin() as connection:
        config = alembic_config(connection)
        head = ScriptDirectory.from_config(config).get_current_head()
        script = command.revision(
            config, message=message, autogenerate=True, rev_id=f"{int(head or 0) + 1:04d}"
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def get_session(request: Request) -> Iterator[Session]:
    """Yield one session per request: commit when the route succeeds, roll back when it raises."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


# scope="function": the commit runs when the route returns, before the response is sent, so a
# failed commit becomes an error answer instead of a 200 for data that was never stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
