"""The load cache of a dataset: reused when nothing changed, rebuilt when a file changed or it is damaged.

Every test works on a copy of the shipped data in tmp_path, never on data/ itself.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.register import AddressRegister
from tests.common import DATA
from zones.cache import cache_key, load_cached, store_cached
from zones.dataset import Dataset
from zones.lookup import Locator


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return a fresh copy of the shipped Alken dataset, without its cache."""
    root = tmp_path / "alken"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns(".cache"))
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the register reads of `Dataset.load` (a cached load reads none)."""
    calls: list[Path] = []
    original = AddressRegister.from_csv.__func__  # type: ignore[attr-defined]

    def counting(cls: type[AddressRegister], path: Path) -> AddressRegister:
        calls.append(Path(path))
        return original(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(AddressRegister, "from_csv", classmethod(counting))
    return calls


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".cache").glob("dataset-*.pickle"))


def assert_same(ds: Dataset, reference: Dataset) -> None:
    """Assert that two loads of one dataset hold the same register, assignment and problems."""
    np.testing.assert_array_equal(ds.table.primary, reference.table.primary)
    np.testing.assert_array_equal(ds.table.source, reference.table.source)
    assert ds.table.zone_ids == reference.table.zone_ids
    assert ds.table.extra == reference.table.extra
    assert ds.table.near == reference.table.near
    assert ds.register.streets == reference.register.streets
    assert ds.register.housenumbers == reference.register.housenumbers
    np.testing.assert_array_equal(ds.register.x, reference.register.x)  # NaN == NaN here
    np.testing.assert_array_equal(ds.register.lat, reference.register.lat)
    assert [(p.code, p.zones) for p in ds.problems] == [
        (p.code, p.zones) for p in reference.problems
    ]


def test_second_load_reuses_the_cache(
    root: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Dataset.load(root)
    assert len(reads) == 1
    assert len(cache_files(root)) == 1

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a cached load must neither read the register nor assign zones")

    monkeypatch.setattr(AddressRegister, "from_csv", classmethod(boom))
    monkeypatch.setattr("zones.zone_side.assign", boom)
    second = Dataset.load(root)
    assert len(second.register) == 4574
    assert_same(second, first)


def test_results_are_identical_with_and_without_cache(root: Path, reads: list[Path]) -> None:
    uncached = Dataset.load(root, cache=False)
    assert not (root / ".cache").exists()  # cache=False writes nothing
    stored = Dataset.load(root)
    cached = Dataset.load(root)
    assert len(reads) == 2  # the uncached load and the one that stored the cache
    for ds in (stored, cached):
        assert_same(ds, uncached)
    queries = ["Heiligenbornstraat 12, 3570 Alken", "motstraat10", "Grootstraat 2", "Kerkstraat"]
    for q in queries:
        assert Locator(cached).lookup(q) == Locator(uncached).lookup(q)


def _touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _add_address(root: Path) -> None:
    with open(root / "addresses.csv", "a", encoding="utf-8") as f:
        f.write("3570,Alken,Heiligenbornstraat,999,50.871,5.2562\n")


def _rename_zone(root: Path) -> None:
    path = root / "zones.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name"] += " (nieuw)"
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: _touch(root / "addresses.csv"), id="addresses.csv touched"),
        pytest.param(_add_address, id="addresses.csv grew"),
        pytest.param(lambda root: _touch(root / "zones.geojson"), id="zones.geojson touched"),
        pytest.param(_rename_zone, id="zones.geojson changed"),
    ],
)
def test_a_changed_file_invalidates_the_cache(
    root: Path, reads: list[Path], change: Callable[[Path], None]
) -> None:
    before = Dataset.load(root)
    change(root)
    after = Dataset.load(root)
    assert len(reads) == 2, "the changed dataset must be read again"
    assert len(cache_files(root)) == 1, "the stale cache file is removed"
    Dataset.load(root)
    assert len(reads) == 2, "and the new cache is used by the next load"
    if change is _add_address:
        assert len(after.register) == len(before.register) + 1
    if change is _rename_zone:
        assert next(iter(after.zones)).name.endswith(" (nieuw)")


def _flip_middle_byte(good: bytes) -> bytes:
    i = len(good) // 2
    return good[:i] + bytes([good[i] ^ 0xFF]) + good[i + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: b"", id="empty"),
        pytest.param(lambda good: b"not a pickle at all", id="garbage"),
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(_flip_middle_byte, id="one byte changed"),
        pytest.param(lambda good: pickle.dumps(42), id="another pickle"),
        pytest.param(lambda good: good[32:], id="checksum missing"),
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(
    root: Path, reads: list[Path], damage: Callable[[bytes], bytes]
) -> None:
    reference = Dataset.load(root)
    (path,) = cache_files(root)
    path.write_bytes(damage(path.read_bytes()))
    rebuilt = Dataset.load(root)
    assert len(reads) == 2
    assert_same(rebuilt, reference)
    Dataset.load(root)
    assert len(reads) == 2, "the rebuilt cache is used by the next load"


def test_a_cache_that_cannot_be_written_does_not_stop_a_load(root: Path, reads: list[Path]) -> None:
    (root / ".cache").write_text("a file where the cache directory should be")
    for _ in range(2):
        assert len(Dataset.load(root).register) == 4574
    assert len(reads) == 2


def test_cache_key_follows_the_files(tmp_path: Path) -> None:
    a, b = tmp_path / "addresses.csv", tmp_path / "zones.geojson"
    absent = cache_key(a, b)
    a.write_text("postcode\n")
    present = cache_key(a, b)
    assert present != absent
    assert cache_key(a, b) == present
    _touch(a)
    assert cache_key(a, b) != present


def test_load_and_store_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / ".cache"
    assert load_cached(directory, "k1") is None  # no directory yet
    store_cached(directory, "k1", {"x": [1, 2]})
    assert load_cached(directory, "k1") == {"x": [1, 2]}
    store_cached(directory, "k2", "newer")
    assert load_cached(directory, "k1") is None  # older entries are removed
    assert load_cached(directory, "k2") == "newer"
