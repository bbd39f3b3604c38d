"""Generations of a zone set: every approved change makes a new, numbered, readable GeoJSON file.

As mapit's generations: the old sets stay queryable. Layout inside a dataset directory::

    zones.geojson               the current generation (a copy, for tools that read one file)
    generations/index.json      the list of generations: the commit point
    generations/0001.geojson    generation 1, 2, ... (never rewritten)

A commit writes the new generation file, then the index (atomic rename: from here the generation
exists), then zones.geojson. A crash before the index leaves an unlisted file that is ignored; a
crash after it is repaired at the next load, which trusts the index.

The service keeps its generations in its database (``service/generations.py``) and exports them
here with `GenerationStore.export`; these files are then a readable copy, rewritten from the
database at every start-up. `commit` remains for tools that work on a directory alone.

In the database a generation after the first is usually stored as a `ZoneDelta` of its parent: the
order of its zone ids and the features of the zones added or changed (a few of thousands). Its text
is then, by definition, `collection_text` of the parent's features with those replaced, so every
generation is restored exactly, byte for byte, from the chain of deltas back to a full text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from geo.files import atomic_write_text
from zones.errors import ConflictError, NotFoundError, ZoneError, ZoneFileError
from zones.schema import ZoneSet
from zones.storage import (
    dump_geojson,
    load_zones,
    parse_json,
    zone_from_feature,
    zone_to_feature,
    zones_to_geojson,
)

_LOCK = threading.Lock()


class Generation(BaseModel):
    """One generation of the zone set."""

    number: int
    created_at: dt.datetime
    note: str = ""
    source: str = "initial"
    file: str


class UnknownGenerationError(ZoneError, NotFoundError):
    """A generation number that does not exist."""

    code = "unknown_generation"


_INDEX = TypeAdapter(list[Generation])


class GenerationStore:
    """The generations of one dataset directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.dir = self.root / "generations"
        self.index_path = self.dir / "index.json"
        self.zones_path = self.root / "zones.geojson"

    def list(self) -> list[Generation]:
        """Return every generation, oldest first (one implicit generation before the first change)."""
        if self.index_path.is_file():
            return _INDEX.validate_json(self.index_path.read_bytes())
        mtime = self.zones_path.stat().st_mtime if self.zones_path.is_file() else 0.0
        created = dt.datetime.fromtimestamp(mtime, tz=dt.UTC).replace(microsecond=0)
        return [Generation(number=1, created_at=created, file="zones.geojson")]

    def current(self) -> Generation:
        """Return the newest generation."""
        return self.list()[-1]

    def path(self, number: int) -> Path:
        """Return the file of a generation."""
        for g in self.list():
            if g.number == number:
                return self.root / g.file if g.file == "zones.geojson" else self.dir / g.file
        raise UnknownGenerationError(f"unknown generation: {number}")

    def load(self, number: int) -> ZoneSet:
        """Read the zone set of a generation."""
        return load_zones(self.path(number))

    def current_path(self) -> Path:
        """Return the file that holds the current zones, repairing zones.geojson if a commit was cut short."""
        if not self.index_path.is_file():
            return self.zones_path
        latest = self.dir / self.current().file
        if not self.zones_path.is_file() or self.zones_path.read_bytes() != latest.read_bytes():
            atomic_write_text(self.zones_path, latest.read_text(encoding="utf-8"))
        return latest

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise commits, across threads and processes."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with _LOCK, open(self.dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def commit(
        self, zones: ZoneSet, *, note: str, source: str, expected: int | None = None
    ) -> Generation:
        """Write `zones` as the next generation; refuse if the current one is no longer `expected`."""
        with self.locked():
            generations = self.list()
            if expected is not None and generations[-1].number != expected:
                raise StaleGenerationError(
                    f"generation {expected} is no longer current ({generations[-1].number} is)"
                )
            if not self.index_path.is_file():
                # First change: keep the original zone set as generation 1, in its own file.
                first = generations[0].model_copy(update={"file": "0001.geojson"})
                atomic_write_text(
                    self.dir / first.file, self.zones_path.read_text(encoding="utf-8")
                )
                generations = [first]
            number = generations[-1].number + 1
            text = dump_geojson(zones_to_geojson(zones))
            new = Generation(
                number=number,
                created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
                note=note,
                source=source,
                file=f"{number:04d}.geojson",
            )
            atomic_write_text(self.dir / new.file, text)
            atomic_write_text(
                self.index_path,
                json.dumps(_INDEX.dump_python([*generations, new], mode="json"), indent=1) + "\n",
            )
            atomic_write_text(self.zones_path, text)
            return new

    def export(self, generations: Sequence[Generation], texts: dict[int, str]) -> bool:
        """Write the files of `generations` whose GeoJSON `texts` are given, where they differ.

        The generations come from the database, which decides: a file that disagrees is rewritten.
        zones.geojson is a copy of the newest generation, written when `texts` holds it (a caller
        leaves out the texts whose files are known to be right). One generation in a directory
        without an index keeps today's layout (``zones.geojson`` only), so a dataset that never
        changed gets no new files. Returns whether anything was written.
        """
        newest = texts.get(generations[-1].number)
        if len(generations) == 1 and not self.index_path.is_file():
            # Not even the lock file: a dataset that never changed (the shipped one) stays as it is.
            return newest is not None and _write_if_changed(self.zones_path, newest)
        with self.locked():
            written = False
            for generation in generations:
                if generation.number in texts:
                    path = self.dir / generation.file
                    written |= _write_if_changed(path, texts[generation.number])
            index = json.dumps(_INDEX.dump_python(list(generations), mode="json"), indent=1) + "\n"
            written |= _write_if_changed(self.index_path, index)
            if newest is not None:
                written |= _write_if_changed(self.zones_path, newest)
            return written


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write_text(path, text)
    return True


class StaleGenerationError(ZoneError, ConflictError):
    """A change prepared against a generation that is no longer the current one."""

    code = "stale_generation"


# -- deltas ------------------------------------------------------------------------------------------


def collection_text(features: Sequence[Any]) -> str:
    """Return the stored text of a generation made of `features` (as `dump_geojson` writes it)."""
    return dump_geojson({"type": "FeatureCollection", "features": list(features)})


def features_by_id(text: str, source: str) -> tuple[list[str], dict[str, Any]]:
    """Return the zone ids of a generation's GeoJSON text, in order, and its features by id."""
    data = parse_json(text, source)
    raw = data.get("features") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ZoneFileError(f"{source}: expected a GeoJSON FeatureCollection")
    ids: list[str] = []
    by_id: dict[str, Any] = {}
    for i, feature in enumerate(raw):
        props = feature.get("properties") if isinstance(feature, dict) else None
        zone_id = props.get("id") if isinstance(props, dict) else None
        if not isinstance(zone_id, str) or zone_id in by_id:
            raise ZoneFileError(f"{source}: feature {i + 1} has no id of its own")
        ids.append(zone_id)
        by_id[zone_id] = feature
    return ids, by_id


@dataclass(frozen=True)
class ZoneDelta:
    """What a generation changes of its parent: the order of its zones, the features that differ.

    `ids` lists every zone of the generation in order; `features` holds the GeoJSON Feature of each
    zone added or changed since the parent. Every other zone is the parent's feature, unchanged.
    `replaced` holds the parent's version (as `zone_to_feature` writes it) of each zone changed or
    left out: what a zone was before a change is then known without reading older generations.
    """

    ids: tuple[str, ...]
    features: dict[str, Any]
    # None in a delta stored without them (converted from a whole text by migration 0008).
    replaced: dict[str, Any] | None = None

    @classmethod
    def between(cls, parent: ZoneSet, zones: ZoneSet) -> ZoneDelta:
        """Return the delta from `parent` to `zones`: a zone not the very object it was has changed.

        Unchanged zones are shared objects (a proposal or a follower copies them, never rebuilds
        them), so no geometry is compared and nothing of the unchanged zones is serialised.
        """
        features = {
            z.id: zone_to_feature(z)
            for z in zones
            if z.id not in parent or parent.get(z.id) is not z
        }
        replaced = {
            z.id: zone_to_feature(z)
            for z in parent
            if z.id not in zones or zones.get(z.id) is not z
        }
        # Through JSON text, as it is stored: mapping() holds tuples where the text has lists.
        return cls(
            tuple(z.id for z in zones),
            json.loads(json.dumps(features)),
            json.loads(json.dumps(replaced)),
        )

    def to_json(self) -> str:
        """Return the delta as stored (compact JSON)."""
        data: dict[str, Any] = {"ids": list(self.ids), "features": self.features}
        if self.replaced is not None:
            data["replaced"] = self.replaced
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, source: str) -> ZoneDelta:
        """Read a stored delta."""
        data = parse_json(text, source)
        if not isinstance(data, dict) or not isinstance(data.get("ids"), list):
            raise ZoneFileError(f"{source}: not a zone delta")
        features = data.get("features")
        if not isinstance(features, dict) or not set(features) <= set(data["ids"]):
            raise ZoneFileError(f"{source}: a zone delta's features must be among its ids")
        replaced = data.get("replaced")
        if replaced is not None and not isinstance(replaced, dict):
            raise ZoneFileError(f"{source}: a zone delta's replaced features must be an object")
        return cls(tuple(data["ids"]), features, replaced)

    def apply_features(self, parent: dict[str, Any], source: str) -> dict[str, Any]:
        """Return the features by id, in this generation's order, from the parent's by id."""
        out: dict[str, Any] = {}
        for zone_id in self.ids:
            feature = self.features.get(zone_id, parent.get(zone_id))
            if feature is None:
                raise ZoneFileError(f"{source}: zone {zone_id!r} is in neither delta nor parent")
            out[zone_id] = feature
        return out

    def apply(self, parent: ZoneSet, source: str) -> ZoneSet:
        """Return this generation's zone set from its parent's: only changed features are read."""
        zones = []
        for zone_id in self.ids:
            if zone_id in self.features:
                zones.append(zone_from_feature(self.features[zone_id], f"{source}: {zone_id}"))
            elif zone_id in parent:
                zones.append(parent.get(zone_id))
            else:
                raise ZoneFileError(f"{source}: zone {zone_id!r} is in neither delta nor parent")
        return ZoneSet(zones)
