"""The database: engine (SQLite by default, PostgreSQL by URL), sessions and Alembic migrations.

SQLite allows one writer at a time. Every connection gets WAL, foreign keys, a busy timeout and
``synchronous=NORMAL``; every transaction starts with ``BEGIN IMMEDIATE``, so a transaction that
reads and then writes waits for the write lock up front instead of failing with ``SQLITE_BUSY``
half-way (a deferred transaction cannot upgrade its lock once another writer committed). Within
one process the threads take turns on a lock of their own first (``SingleWriter``): SQLite's busy
handler polls with growing sleeps and gave up after its time-out while dozens of threads polled,
whereas a lock hands the turn over at once and in order. The busy timeout still covers other
processes (the CLI, a second worker).

Requests get their session from ``SessionDep``: one of the admission slots first
(``service.admission``; the pool has as many connections as there are slots), then a session. A
route that writes commits itself, inside the request, before it answers: so a commit that fails
becomes an error answer, and a 201 means stored. Closing the session afterwards rolls back
whatever is left; a route that leaves writes uncommitted is a bug, answered 500 and logged.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from service.admission import Admission, ServiceBusyError
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


def postgres_dsn(url: str) -> str | None:
    """Return a libpq connection string for a PostgreSQL URL (None for another database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


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


class SingleWriter:
    """One SQLite transaction at a time in this process: a lock taken before ``BEGIN IMMEDIATE``.

    The lock belongs to the DBAPI connection that began the transaction and is released when that
    transaction commits or rolls back, or the connection goes back to the pool or is invalidated
    (so an error path cannot leave it taken). Waiting longer than ``wait`` seconds raises
    ServiceBusyError (503): nothing was written.
    """

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._lock = threading.Lock()
        self._holder: Any = None  # the DBAPI connection whose transaction holds the lock

    def begin(self, connection: Connection) -> None:
        """Take the lock (unless this connection holds it), then start the SQLite transaction."""
        dbapi = connection.connection.dbapi_connection
        if self._holder is not dbapi:  # only the holder's own thread can find itself here
            if not self._lock.acquire(timeout=self.wait):
                raise ServiceBusyError()
            self._holder = dbapi
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(dbapi)
            raise

    def release(self, dbapi: Any, *_: Any) -> None:
        """Release the lock if ``dbapi`` holds it (an event listener: extra arguments ignored)."""
        if dbapi is not None and self._holder is dbapi:
            self._holder = None
            self._lock.release()

    def ended(self, connection: Connection) -> None:
        """Release the lock when the connection's transaction commits or rolls back."""
        self.release(connection.connection.dbapi_connection)

    def listen(self, engine: Engine) -> None:
        """Register the lock on the engine's transaction and pool events."""
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "commit", self.ended)
        event.listen(engine, "rollback", self.ended)
        event.listen(engine.pool, "checkin", self.release)
        event.listen(engine.pool, "invalidate", self.release)


def make_engine(
    url: str, pool_size: int = 8, wait: float = 10.0, *, reads_only: bool = False
) -> Engine:
    """Create an engine; a SQLite file is made owner-only, and gets the pragmas described above.

    ``pool_size`` is the number of requests that use the database at once (the admission slots);
    a few connections more are left for start-up and the CLI. Waiting ``wait`` seconds for a
    connection or for SQLite's write turn is answered 503.

    With `reads_only`, SQLite transactions are not ``BEGIN IMMEDIATE`` (and take no writer's turn):
    each query reads the last committed state (WAL) without waiting for, or holding, the one
    writer's lock. The zone generations are read that way, so that a request holding the writer's
    turn can still read them.
    """
    parsed = _with_driver(make_url(url))
    pool = {"pool_size": pool_size, "max_overflow": 2, "pool_timeout": wait}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **pool)
    _create_private_file(parsed)
    in_memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(parsed) if in_memory else create_engine(parsed, **pool)
    event.listen(engine, "connect", _sqlite_connect)
    if not reads_only:
        SingleWriter(wait).listen(engine)
    return engine


_UNSAVED = "wabp_unsaved"  # Session.info key: flushed changes that no commit has ended yet


def _flushed(session: Session, *_: Any) -> None:
    session.info[_UNSAVED] = True


def _ended(session: Session, *_: Any) -> None:
    session.info.pop(_UNSAVED, None)


def make_sessionmaker(
    engine: Engine, info: dict[str, object] | None = None
) -> sessionmaker[Session]:
    """Return the session factory for an engine; ``info`` starts each session's ``Session.info``."""
    # Objects stay readable after commit: responses are built from them without a new query.
    factory = sessionmaker(engine, expire_on_commit=False, info=info)
    event.listen(factory, "after_flush", _flushed)
    event.listen(factory, "after_commit", _ended)
    event.listen(factory, "after_rollback", _ended)
    return factory


class UncommittedWriteError(Exception):
    """A route returned with writes it never committed: they were rolled back (a bug)."""


def has_unsaved_writes(session: Session) -> bool:
    """Tell whether the session holds changes, flushed or not, that no commit has stored."""
    pending = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    return bool(pending or session.info.get(_UNSAVED))


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
            config, message=message, autogenerate=True, rev_id=f"{_number(head) + 1:04d}"
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _number(revision: str | None) -> int:
    # Revisions are numbered, some with a name after the number (0003_mail): the number counts.
    return int((revision or "0").split("_")[0])


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def _close_checked(session: Session) -> None:
    unsaved = has_unsaved_writes(session)
    session.close()  # rolls back what is left and returns the connection to the pool
    if unsaved:
        raise UncommittedWriteError("a route returned without committing its writes")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield one session per request, within an admission slot (503 when saturated).

    The route commits its writes itself; afterwards the session is closed in a thread of a
    limiter sized to the slots, so closing never waits for a worker thread a route holds.
    """
    admission: Admission = request.app.state.admission
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    async with admission.slot():
        session = factory()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=admission.closing)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_close_checked, session, limiter=admission.closing)


# scope="function": the slot is given back and the session closed when the route returns, before
# the response is sent; an uncommitted write becomes an error answer, not a 201 for nothing.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
