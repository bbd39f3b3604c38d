"""A cache of what a dataset derives at load: the indexed register, the address -> zone table and
the street indexes (matcher, autocomplete).

Keyed by the size and modification time of the register and zone files and by the source of the
modules that build the cached objects, so a changed file or changed code rebuilds it. It lives in ``<dataset>/.cache/`` and is written
atomically with a SHA-256 of its content; a missing, stale, damaged or unreadable cache is simply rebuilt.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from geo.files import atomic_write_bytes

CACHE_FORMAT = 4
# The modules whose code shapes what is cached: a change to any of them invalidates the cache.
_PRODUCERS = (
    "geo/crs.py",
    "geo/register.py",
    "geo/housenumber.py",
    "geo/normalize.py",
    "geo/matcher.py",
    "geo/spatial.py",
    "geo/suggest.py",
    "zones/assign.py",
    "zones/cache.py",
    "zones/register_side.py",  # builds the cached street indexes
    "zones/schema.py",  # the zones' Lambert 72 shapes the table is assigned in
)
_ROOT = Path(__file__).resolve().parent.parent
_DIGEST_SIZE = hashlib.sha256().digest_size  # each cache file starts with the SHA-256 of the rest


def _code_digest() -> bytes:
    h = hashlib.sha256()
    for name in _PRODUCERS:
        h.update((_ROOT / name).read_bytes())
    return h.digest()


_CODE = _code_digest()


def cache_key(*paths: Path) -> str:
    """Return a key that changes when any of the files changes."""
    h = hashlib.sha256(f"wabp-cache-{CACHE_FORMAT}".encode() + _CODE)
    for path in paths:
        if path.is_file():
            st = path.stat()
            h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        else:
            h.update(f"{path.name}:absent".encode())
    return h.hexdigest()[:20]


def load_cached(directory: Path, key: str) -> Any | None:
    """Return the cached object for `key`, or None."""
    path = directory / f"dataset-{key}.pickle"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    # A damaged file can unpickle into wrong data or raise nearly anything: check it first.
    payload = memoryview(data)[_DIGEST_SIZE:]  # a view: no copy of a large cache
    if hashlib.sha256(payload).digest() != data[:_DIGEST_SIZE]:
        return None
    try:
        return pickle.loads(payload)  # our own file, written by `store_cached` below
    except Exception:
        return None


def store_cached(directory: Path, key: str, value: Any) -> None:
    """Store `value` for `key`, removing older cache files; a failure only costs the next load."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("dataset-*.pickle"):
            old.unlink(missing_ok=True)
        payload = pickle.dumps(value, protocol=5)
        atomic_write_bytes(
            directory / f"dataset-{key}.pickle", hashlib.sha256(payload).digest() + payload
        )
    except OSError:
        pass
