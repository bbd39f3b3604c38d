"""Generations: every change is a new, readable file; old generations stay; commits are atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA
from zones.generations import GenerationStore, StaleGenerationError, UnknownGenerationError
from zones.storage import load_zones


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    root = tmp_path / "ds"
    shutil.copytree(
        DATA, root, ignore=shutil.ignore_patterns(".cache", "*.sqlite*", ".wabp-secret")
    )
    return root


def test_implicit_first_generation(dataset_dir: Path) -> None:
    store = GenerationStore(dataset_dir)
    assert [g.number for g in store.list()] == [1]
    assert len(store.load(1)) == 9


def test_commit_keeps_the_old_generation(dataset_dir: Path) -> None:
    store = GenerationStore(dataset_dir)
    zones = store.load(1)
    smaller = type(zones)(zones.zones[:8])
    g = store.commit(smaller, note="drop waterkant", source="test", expected=1)
    assert g.number == 2
    assert [x.number for x in store.list()] == [1, 2]
    assert len(store.load(1)) == 9 and len(store.load(2)) == 8
    assert len(load_zones(dataset_dir / "zones.geojson")) == 8  # the current copy follows
    index = json.loads((dataset_dir / "generations" / "index.json").read_text())
    assert [e["number"] for e in index] == [1, 2]


def test_stale_commit_is_refused(dataset_dir: Path) -> None:
    store = GenerationStore(dataset_dir)
    zones = store.load(1)
    store.commit(zones, note="a", source="test", expected=1)
    with pytest.raises(StaleGenerationError):
        store.commit(zones, note="b", source="test", expected=1)


def test_unknown_generation(dataset_dir: Path) -> None:
    with pytest.raises(UnknownGenerationError):
        GenerationStore(dataset_dir).load(7)


def test_crash_before_the_index_leaves_the_old_generation_current(
    dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = GenerationStore(dataset_dir)
    zones = store.load(1)
    store.commit(zones, note="a", source="test", expected=1)
    before = (dataset_dir / "zones.geojson").read_bytes()
    real_replace = os.replace

    def crash_on_index(src: str, dst: str) -> None:
        if str(dst).endswith("index.json"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_index)
    with pytest.raises(OSError):
        store.commit(type(zones)(zones.zones[:5]), note="b", source="test", expected=2)
    monkeypatch.setattr(os, "replace", real_replace)
    assert [g.number for g in store.list()] == [1, 2]
    assert (dataset_dir / "zones.geojson").read_bytes() == before
    assert not list((dataset_dir / "generations").glob(".*.tmp"))


def test_crash_after_the_index_is_repaired_at_load(dataset_dir: Path) -> None:
    store = GenerationStore(dataset_dir)
    zones = store.load(1)
    store.commit(type(zones)(zones.zones[:8]), note="a", source="test", expected=1)
    (dataset_dir / "zones.geojson").write_bytes(
        (dataset_dir / "generations" / "0001.geojson").read_bytes()
    )
    assert len(load_zones(store.current_path())) == 8
    assert len(load_zones(dataset_dir / "zones.geojson")) == 8
