"""``wabp backup OUT`` and ``wabp restore IN``: one archive that brings a service back on a new machine.

The archive (a ``tar.gz``, owner-only: it holds personal data and the signing key) contains

- ``data/``: the dataset directory as it is: register, zones, every zone generation, the dataset
  and rules files, and ``.wabp-secret`` (the signing key: without it, signed-in staff and open
  forms would have to start over). Not the ``.cache`` (rebuilt at load), nor the live database;
- ``wabp.sqlite``: a consistent copy of a SQLite database made with SQLite's online backup API
  while the service runs (never a file copy of a database in WAL mode), checked with
  ``PRAGMA integrity_check``;
- ``manifest.json``: what is inside, with a SHA-256 per file, the schema revision and row counts.

A PostgreSQL database is not copied: ``pg_dump`` is the tool for it (``backup`` says how, and the
manifest records that the database is not in the archive). ``restore`` writes into a dataset
directory that is empty or missing, checks every file against the manifest first, and puts the
SQLite database where the settings expect it; it never overwrites anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from service.db import SQLITE_FILE, database_url
from service.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data"
DATABASE = "wabp.sqlite"
# Rebuilt or live: never archived from the dataset directory.
SKIPPED = {
    ".cache",
    SQLITE_FILE,
    f"{SQLITE_FILE}-wal",
    f"{SQLITE_FILE}-shm",
    f"{SQLITE_FILE}-journal",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    files: int
    database: str  # "sqlite" (inside) or "postgresql" (use pg_dump)
    rows: dict[str, int]
    guidance: str | None  # what to do about a database that is not in the archive


def pg_dump_guidance(url: str) -> str:
    """Return how to back up and restore a PostgreSQL database (the password left out)."""
    safe = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return (
        "The database is PostgreSQL: it is not in this archive. Back it up with pg_dump at the "
        "same time, for example\n"
        f"  pg_dump --format=custom --file=wabp.dump '{safe}'\n"
        "and restore it on the new machine into an empty database with\n"
        "  pg_restore --no-owner --dbname='postgresql://USER@HOST/DB' wabp.dump\n"
        "(PGPASSWORD or ~/.pgpass gives the password). Then `wabp restore` the files."
    )


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dataset_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in SKIPPED or not path.is_file() or path.is_symlink():
            continue
        yield path


def _copy_sqlite(source: Path, target: Path) -> tuple[str | None, dict[str, int]]:
    """Copy a live SQLite database consistently; check the copy; return its revision and counts."""
    if not source.is_file():
        raise BackupError(f"{source}: no database yet (start the service or run `wabp db upgrade`)")
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout=10000")  # a writer holding the lock: wait, don't fail
        src.backup(dst)  # page by page, consistent although the service keeps writing
    finally:
        src.close()
        dst.close()
    check = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the copy of {source} fails its integrity check: {result}")
        tables = [
            str(name)
            for (name,) in check.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {
            t: int(check.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
            for t in sorted(tables)
            if t != "alembic_version"
        }
        revision = None
        if "alembic_version" in tables:
            found = check.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(found[0]) if found else None
        return revision, rows
    finally:
        check.close()


def backup(settings: Settings, out: Path) -> BackupReport:
    """Write the archive described above to ``out`` (a new file)."""
    root = settings.data_dir.resolve()
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file name")
    url = database_url(settings)
    sqlite_db = _sqlite_path(url)
    with tempfile.TemporaryDirectory(prefix="wabp-backup-") as tmp:
        files = {f"{DATA}/{p.relative_to(root).as_posix()}": p for p in _dataset_files(root)}
        if sqlite_db is not None:
            copy = Path(tmp) / DATABASE
            revision, rows = _copy_sqlite(sqlite_db, copy)
            files[DATABASE] = copy
        else:
            revision, rows = None, {}
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": "sqlite" if sqlite_db is not None else "postgresql",
            "revision": revision,
            "rows": rows,
            "files": {name: _sha256(path) for name, path in files.items()},
        }
        partial = out.with_name(f".{out.name}.partial")
        # Owner-only from the first byte: the archive holds personal data and the signing key.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(body), 0o600
                tar.addfile(info, io.BytesIO(body))
                for name, path in files.items():
                    tar.add(path, arcname=name, recursive=False)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    guidance = pg_dump_guidance(url) if sqlite_db is None else None
    return BackupReport(out, len(files), str(manifest["database"]), rows, guidance)


def _read_manifest(tar: tarfile.TarFile) -> dict[str, object]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("this is not a wabp backup: it has no manifest.json")
    manifest: dict[str, object] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _is_empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def restore(settings: Settings, archive: Path) -> BackupReport:
    """Restore ``archive`` into the (empty) dataset directory and database of ``settings``."""
    root = settings.data_dir.resolve()
    if not _is_empty(root):
        raise BackupError(f"{root} is not empty: restore into a new directory")
    url = database_url(settings)
    sqlite_db = _sqlite_path(url)
    if sqlite_db is not None and sqlite_db.exists():
        raise BackupError(f"{sqlite_db} exists already: restore never overwrites a database")
    root.parent.mkdir(parents=True, exist_ok=True)
    # Staged next to the target: the final move is a rename on the same file system.
    with tempfile.TemporaryDirectory(prefix=".wabp-restore-", dir=root.parent) as tmp:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _read_manifest(tar)
            # The data filter refuses absolute paths, links out of the directory and devices.
            tar.extractall(tmp, filter="data")
        expected = manifest["files"]
        assert isinstance(expected, dict)
        for name, digest in expected.items():
            path = Path(tmp) / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"{name} is missing or damaged in {archive}: nothing restored")
        has_db = DATABASE in expected
        if has_db and sqlite_db is None:
            raise BackupError(
                "the backup holds a SQLite database but WABP_DATABASE_URL is PostgreSQL: "
                "unset it to restore to SQLite, or move the data with your own tools"
            )
        staged = Path(tmp) / DATA
        staged.mkdir(exist_ok=True)
        if root.exists():
            root.rmdir()  # empty, checked above
        os.replace(staged, root)
        if has_db and sqlite_db is not None:
            sqlite_db.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(Path(tmp) / DATABASE, sqlite_db)
            os.chmod(sqlite_db, 0o600)
    rows = manifest.get("rows")
    guidance = None
    if not has_db:
        guidance = (
            "This backup holds no database (it was PostgreSQL): restore it with pg_restore. "
            + pg_dump_guidance(url if sqlite_db is None else "postgresql://USER@HOST/DB")
        )
    return BackupReport(
        archive,
        len(expected),
        str(manifest["database"]),
        dict(rows) if isinstance(rows, dict) else {},
        guidance,
    )
