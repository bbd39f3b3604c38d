"""Generations stored as deltas, and a new generation served before its map and files are made.

- an added generation is stored as the zones it changed (a delta of its parent), and its whole text,
  its zones and its exported files are exactly those of the zone set it was given;
- another instance follows it by reading only the changed zones: the others stay its own objects;
- migration 0008 turns the whole texts of before into deltas where they give the same bytes back;
- the public map: the previous generation's is served (and says so) until the new one is rendered
  in the background; a failed render is logged without the data it quotes and tried again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
import shapely.affinity
from alembic import command
from sqlalchemy import Engine, text

import service.state
from service.db import alembic_config, current_revision, make_engine, make_sessionmaker, upgrade
from service.generations import ZoneGenerations
from service.published import CONTACT, PublishedTexts
from service.state import Current, ServiceState
from service.tables import ZoneGeneration
from tests.service.processes import WEST_WIDER, tiny_dataset
from zones.dataset import Dataset
from zones.generations import collection_text
from zones.schema import Zone, ZoneSet
from zones.storage import dump_geojson, zone_to_feature, zones_to_geojson


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def wider_west(zones: ZoneSet) -> ZoneSet:
    """Return `zones` with zone west given the wider square (every other zone the same object)."""
    return ZoneSet(
        [Zone(z.props, WEST_WIDER) if z.id == "west" else z for z in zones],
    )


def add(generations: ZoneGenerations, zones: ZoneSet, parent: ZoneSet, expected: int) -> None:
    with generations.sessions() as session:
        generations.add(session, zones, expected=expected, parent=parent, source="test")
        session.commit()


def test_an_added_generation_is_stored_as_a_delta_and_restored_exactly(
    tmp_path: Path, engine: Engine
) -> None:
    root = tiny_dataset(tmp_path / "data")
    generations = ZoneGenerations(make_sessionmaker(engine), root)
    assert generations.reconcile() == 1
    first = generations.load(1)
    second = wider_west(first)
    add(generations, second, first, expected=1)

    with generations.sessions() as session:
        row = session.get(ZoneGeneration, 2)
        assert row is not None
        assert row.geojson is None and row.parent == 1 and row.sha256 is None
        delta = row.delta
    assert delta is not None and set(json.loads(delta)["features"]) == {"west"}
    whole = generations.text(2)
    assert len(delta) < len(whole)
    # The text is the parent's features as they were stored, west's replaced by its new one.
    before = {f["properties"]["id"]: f for f in json.loads(generations.text(1))["features"]}
    after = {f["properties"]["id"]: f for f in json.loads(whole)["features"]}
    assert after["oost"] == before["oost"]
    assert after["west"] == json.loads(json.dumps(zone_to_feature(second.get("west"))))
    assert whole == collection_text(list(after.values()))
    assert [z.id for z in generations.load(2)] == [z.id for z in second]

    # Exported (the index and a file per generation), and its digest recorded on the way.
    assert generations.export(since=1)
    assert (root / "generations" / "0002.geojson").read_text() == whole
    assert (root / "zones.geojson").read_text() == whole
    with generations.sessions() as session:
        assert session.get(ZoneGeneration, 2).sha256 is not None  # type: ignore[union-attr]
    # Files that already hold their text are left as they are.
    assert not generations.export()

    # Another instance holding generation 1 reads west alone; the other zones stay its objects.
    followed = generations.follow_from(1, first, 2)
    assert followed.get("oost") is first.get("oost")
    assert followed.get("west") is not first.get("west")
    assert shapely.symmetric_difference(followed.get("west").geometry, WEST_WIDER).area < 1e-12


def test_a_generation_without_its_parent_in_memory_is_stored_whole(
    tmp_path: Path, engine: Engine
) -> None:
    root = tiny_dataset(tmp_path / "data")
    generations = ZoneGenerations(make_sessionmaker(engine), root)
    generations.reconcile()
    second = wider_west(generations.load(1))
    with generations.sessions() as session:
        generations.add(session, second, expected=1, source="test")
        session.commit()
        row = session.get(ZoneGeneration, 2)
        assert row is not None and row.delta is None
        stored = row.geojson
    assert stored == generations.text(2) == dump_geojson(zones_to_geojson(second))
    # Followed from generation 1 all the same (read whole).
    assert (
        generations.follow_from(1, generations.load(1), 2)
        .get("west")
        .geometry.equals(generations.load(2).get("west").geometry)
    )


def test_migration_0008_stores_the_texts_of_before_as_deltas(
    tmp_path: Path, database_url: str
) -> None:
    root = tiny_dataset(tmp_path / "data")
    first_text = (root / "zones.geojson").read_text()
    first = Dataset.load(root).zones
    second_text = dump_geojson(zones_to_geojson(wider_west(first)))
    # Written by hand in another layout: not a text a delta gives back, so it stays whole.
    third_text = json.dumps(json.loads(second_text))
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0007_limits")
        with engine.begin() as c:
            for number, geojson in enumerate((first_text, second_text, third_text), start=1):
                c.execute(
                    text(
                        "INSERT INTO zone_generations (number, created_at, note, source, geojson,"
                        " sha256) VALUES (:n, '2026-12-01 10:00:00+00:00', '', 'test', :g, 'x')"
                    ),
                    {"n": number, "g": geojson},
                )
        upgrade(engine)
        generations = ZoneGenerations(make_sessionmaker(engine), root)
        with engine.connect() as c:
            rows = c.execute(
                text("SELECT number, geojson IS NULL, parent FROM zone_generations ORDER BY number")
            ).all()
        assert [tuple(r) for r in rows] == [(1, False, None), (2, True, 1), (3, False, None)]
        assert [generations.text(n) for n in (1, 2, 3)] == [first_text, second_text, third_text]
        # And back: every row whole again, byte for byte.
        with engine.begin() as c:
            command.downgrade(alembic_config(c), "0007_limits")
        with engine.connect() as c:
            texts = c.execute(text("SELECT geojson FROM zone_generations ORDER BY number"))
            assert list(texts.scalars()) == [first_text, second_text, third_text]
        upgrade(engine, "0008_generation_deltas")
        assert current_revision(engine) == "0008_generation_deltas"
    finally:
        engine.dispose()


# -- the public map follows in the background --------------------------------------------------------


@pytest.fixture
def state(tmp_path: Path, engine: Engine) -> Iterator[ServiceState]:
    root = tiny_dataset(tmp_path / "data")
    generations = ZoneGenerations(make_sessionmaker(engine), root)
    first = generations.reconcile()
    texts = PublishedTexts(make_sessionmaker(engine), root)
    versions = texts.write_files({})
    state = ServiceState(Dataset.load(root), generations, first, texts=texts, versions=versions)
    yield state
    state.close()


def approve_wider_west(state: ServiceState) -> None:
    """Commit generation 2 (west wider) as an approval does, and follow it."""
    current = state.current
    add(state.generations, wider_west(current.dataset.zones), current.dataset.zones, 1)
    state.follow()


def test_the_previous_map_is_served_until_the_new_one_is_ready(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_map = state.public_map
    assert old_map.generation == 1
    release = threading.Event()
    render = service.state._render_map

    def slow_render(current: Current) -> str:
        release.wait(30)
        return render(current)

    monkeypatch.setattr(service.state, "_render_map", slow_render)
    approve_wider_west(state)
    # Served at once: the new zones answer, while the map shown is still generation 1's, as such.
    assert state.current.generation == 2
    assert state.current.dataset.zones.get("west").geometry.area > 0.99 * WEST_WIDER.area
    assert state.public_map is old_map
    release.set()
    assert state.settle(timeout=30)
    new_map = state.public_map
    assert new_map.generation == 2
    assert new_map.html == state.current.site.page("index.html") != old_map.html
    assert (state.generations.files.root / "generations" / "0002.geojson").is_file()


def test_a_failed_render_is_logged_without_its_data_and_tried_again(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service.state, "RETRY_SECONDS", 0.01)
    render = service.state._render_map
    failures = [RuntimeError("Heiligenbornstraat 12, 3570 Alken")] * 2

    def flaky_render(current: Current) -> str:
        if failures:
            raise failures.pop()
        return render(current)

    monkeypatch.setattr(service.state, "_render_map", flaky_render)
    with caplog.at_level(logging.ERROR, logger="wabp"):
        approve_wider_west(state)
        assert state.settle(timeout=30)
    assert state.public_map.generation == 2 and state.publisher.failed is None
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2 and all("RuntimeError" in m for m in logged)
    assert not any("Heiligenborn" in m for m in logged)


def test_a_map_that_cannot_be_rendered_leaves_the_previous_one_served_and_says_so(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service.state, "RETRY_SECONDS", 0.01)

    def broken_render(current: Current) -> str:
        raise ValueError("Heiligenbornstraat 12")

    old_map = state.public_map
    monkeypatch.setattr(service.state, "_render_map", broken_render)
    with caplog.at_level(logging.ERROR, logger="wabp"):
        approve_wider_west(state)
        assert state.settle(timeout=30)
    assert state.current.generation == 2
    assert state.public_map is old_map and state.publisher.failed == 2
    assert "could not be made" in caplog.records[-1].getMessage()
    assert not any("Heiligenborn" in r.getMessage() for r in caplog.records)
    # The files are exported all the same.
    assert (state.generations.files.root / "generations" / "0002.geojson").is_file()


def test_the_zones_of_an_older_generation_come_from_the_deltas_since(
    tmp_path: Path, engine: Engine
) -> None:
    root = tiny_dataset(tmp_path / "data")
    generations = ZoneGenerations(make_sessionmaker(engine), root)
    generations.reconcile()
    first = generations.load(1)
    second = wider_west(first)
    add(generations, second, first, expected=1)
    oost = second.get("oost")
    new_group = Zone(
        oost.props.model_copy(update={"id": "nieuw", "name": "WABP Nieuw"}),
        shapely.affinity.translate(oost.geometry, yoff=0.05),
    )
    third = ZoneSet([*second.zones, new_group])
    add(generations, third, second, expected=2)
    third = generations.follow_from(2, second, 3)

    for number in (1, 2):
        then = generations.zones_then(number, 3, third)
        assert then is not None
        stored = generations.load(number)
        # The same zones, each as the stored generation has it (as the stale check compares them).
        assert [z.id for z in then] == [z.id for z in stored]
        for zone in stored:
            assert zone_to_feature(then.get(zone.id)) == zone_to_feature(zone)
    # Zones unchanged since are the very objects held.
    assert generations.zones_then(2, 3, third).get("west") is third.get("west")  # type: ignore[union-attr]


def test_a_delta_without_the_zones_it_replaced_is_read_whole(
    tmp_path: Path, engine: Engine
) -> None:
    root = tiny_dataset(tmp_path / "data")
    generations = ZoneGenerations(make_sessionmaker(engine), root)
    generations.reconcile()
    first = generations.load(1)
    add(generations, wider_west(first), first, expected=1)
    with generations.sessions() as session:
        row = session.get(ZoneGeneration, 2)
        assert row is not None and row.delta is not None
        data = json.loads(row.delta)
        del data["replaced"]  # as migration 0008 writes the deltas of before
        row.delta = json.dumps(data)
        session.commit()
    assert generations.zones_then(1, 2, generations.load(2)) is None
    assert [z.id for z in generations.load(2)] == [z.id for z in first]  # still readable


def test_a_published_contact_is_served_with_its_map_at_once(state: ServiceState) -> None:
    # A contact committed in the database (on this instance or another): follow() writes it to
    # dataset.json, serves it, and renders the map while it holds the state's lock.
    before = state.public_map
    assert state.texts is not None
    with state.texts.sessions() as session:
        state.texts.for_update(session, CONTACT)
        state.texts.save(session, CONTACT, {"contact": "tel. 011 59 00 00", "contact_url": None})
        session.commit()
    state.follow()
    assert state.current.dataset.meta.contact == "tel. 011 59 00 00"
    on_disk = json.loads(state.current.dataset.paths.meta.read_text(encoding="utf-8"))
    assert on_disk["contact"] == "tel. 011 59 00 00"
    assert state.public_map is not before and state.public_map.generation == 1
    assert state.public_map.html == state.current.site.page("index.html")
    assert state.follow() is state.current  # nothing newer: the same answer, nothing redrawn
