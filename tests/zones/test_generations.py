"""Generations: every change is a new, readable file; old generations stay; commits are atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import shapely
import shapely.affinity

from tests.conftest import DATA
from zones.errors import ZoneFileError
from zones.generations import (
    GenerationStore,
    StaleGenerationError,
    UnknownGenerationError,
    ZoneDelta,
    collection_text,
    features_by_id,
)
from zones.schema import Zone, ZoneSet
from zones.storage import dump_geojson, load_zones, zones_to_geojson


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


# -- deltas ------------------------------------------------------------------------------------------


def _moved(zone: Zone, dx: float) -> Zone:
    """Return `zone` shifted east by `dx` degrees (a changed zone, a new object)."""
    return Zone(zone.props, shapely.affinity.translate(zone.geometry, xoff=dx))


def test_a_delta_holds_only_the_changed_zones_and_gives_the_same_objects_back(
    dataset_dir: Path,
) -> None:
    parent = load_zones(dataset_dir / "zones.geojson")
    first = parent.zones[0]
    retired = Zone(first.props.model_copy(update={"status": "retired"}), first.geometry)
    child = ZoneSet([retired, *parent.zones[1:4], _moved(parent.zones[4], 1e-4), *parent.zones[5:]])
    delta = ZoneDelta.between(parent, child)
    assert set(delta.features) == {first.id, parent.zones[4].id}
    assert delta.ids == tuple(z.id for z in child)
    applied = ZoneDelta.from_json(delta.to_json(), "test").apply(parent, "test")
    # Unchanged zones are the parent's very objects; changed ones read back from their features.
    assert [z.id for z in applied] == [z.id for z in child]
    assert all(applied.get(z.id) is z for z in parent.zones[1:4] + parent.zones[5:])
    assert applied.get(first.id).props.status == "retired"
    moved = child.get(parent.zones[4].id).geometry
    # As stored: rounded to 1 cm, so equal up to that.
    assert applied.get(moved_id := parent.zones[4].id) is not parent.get(moved_id)
    assert shapely.symmetric_difference(applied.get(moved_id).geometry, moved).area < 1e-12


def test_a_delta_gives_the_whole_text_of_its_generation_byte_for_byte(dataset_dir: Path) -> None:
    parent = load_zones(dataset_dir / "zones.geojson")
    parent_text = collection_text(zones_to_geojson(parent)["features"])
    child = ZoneSet([*parent.zones[:2], _moved(parent.zones[2], -2e-4), *parent.zones[3:]])
    delta = ZoneDelta.from_json(ZoneDelta.between(parent, child).to_json(), "test")
    _, features = features_by_id(parent_text, "parent")
    text = collection_text(list(delta.apply_features(features, "child").values()))
    assert text == dump_geojson(zones_to_geojson(child))
    assert json.loads(text)["features"][0] == json.loads(parent_text)["features"][0]


def test_a_delta_that_names_no_feature_for_a_new_zone_is_refused(dataset_dir: Path) -> None:
    parent = load_zones(dataset_dir / "zones.geojson")
    broken = ZoneDelta.from_json('{"ids": ["nieuw"], "features": {}}', "generation 2")
    with pytest.raises(ZoneFileError, match="generation 2: zone 'nieuw'"):
        broken.apply(parent, "generation 2")
    with pytest.raises(ZoneFileError, match="among its ids"):
        ZoneDelta.from_json('{"ids": [], "features": {"x": {}}}', "generation 2")
