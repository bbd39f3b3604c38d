"""What the running service holds: the current dataset and, on demand, older generations.

Built once at start-up. The generations live in the database (`service.generations`); every
instance follows the newest one with `follow()`, called after its own approvals and by the
`Follower` thread, which polls the generation number (and, on PostgreSQL, wakes on the approval's
NOTIFY). Requests read the current dataset once at their start, so a swap never mixes two
generations in one answer. The public map is rendered once per generation with the configured base
layer (the ``tiles`` setting), then served from memory.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from maps.livesite import LiveSite
from maps.tiles import TileLayerSpec
from service.generations import ZoneGenerations
from zones.dataset import Dataset, read_meta
from zones.lookup import Locator

log = logging.getLogger("wabp")

KEEP_OLD_GENERATIONS = 4


@dataclass(frozen=True)
class Current:
    """The current generation: dataset, locator, its pages and its public map page."""

    generation: int
    dataset: Dataset
    locator: Locator
    site: LiveSite
    public_map: str


class ServiceState:
    """The datasets of every generation the service has been asked about."""

    def __init__(
        self,
        dataset: Dataset,
        generations: ZoneGenerations,
        generation: int,
        tiles: TileLayerSpec | None = None,
    ) -> None:
        """Index `dataset` (generation number `generation`) and render its public map with `tiles`."""
        self.generations = generations
        self.tiles = tiles
        self._lock = threading.Lock()
        self._old: OrderedDict[int, Locator] = OrderedDict()
        self.current = self._make_current(generation, dataset)
        _freeze()

    def _make_current(self, generation: int, dataset: Dataset) -> Current:
        # The map is rendered now, so that the first visitor does not wait (seconds for Flanders).
        locator = Locator(dataset)
        site = LiveSite(dataset, locator, self.tiles)
        public_map = site.page("index.html")
        assert public_map is not None
        return Current(generation, dataset, locator, site, public_map)

    def follow(self) -> Current:
        """Make the newest generation in the database current (export its files first)."""
        with self._lock:
            newest = self.generations.latest()
            current = self.current
            if newest <= current.generation:
                return current
            zones = self.generations.load(newest)
            self.generations.export(since=current.generation)
            # Not strict: the generation passed the dataset checks when it was approved, and a
            # follower must never stop following over a warning that became an error since.
            dataset = current.dataset.with_zones(zones, strict=False)
            self.current = self._make_current(newest, dataset)
            self._old.clear()
            _freeze()
            log.info("now serving zone generation %d", newest)
            return self.current

    def reload(self) -> Current:
        """Follow the newest generation and render its pages again (after dataset files changed)."""
        self.follow()
        with self._lock:
            current = self.current
            # dataset.json is read again: a published contact changes the answers' next steps.
            meta = read_meta(current.dataset.paths)
            dataset = current.dataset.with_zones(current.dataset.zones, meta=meta)
            # infoborden.geojson too: the municipality moves, adds or removes boards.
            dataset = dataset.with_infoborden_reloaded()
            self.current = self._make_current(current.generation, dataset)
            _freeze()
            return self.current

    def locator(self, generation: int | None) -> Locator:
        """Return the locator of a generation (the current one for None)."""
        current = self.current
        if generation is None or generation == current.generation:
            return current.locator
        with self._lock:
            if generation in self._old:
                self._old.move_to_end(generation)
                return self._old[generation]
            zones = self.generations.load(generation)  # UnknownGenerationError if unknown
            locator = Locator(current.dataset.with_zones(zones))
            self._old[generation] = locator
            while len(self._old) > KEEP_OLD_GENERATIONS:
                self._old.popitem(last=False)
            return locator


def _freeze() -> None:
    """Move what is loaded out of the garbage collector's view.

    All of Flanders is millions of objects that live as long as the service: without this, every
    full collection walks them all, a pause of tens of milliseconds in whichever request is running.
    Refcounting still frees a replaced generation; only cyclic garbage among frozen objects stays.
    """
    gc.collect()
    gc.freeze()


class Follower:
    """A thread that makes the service follow the newest generation other instances commit."""

    def __init__(self, state: ServiceState, interval: float, listen_url: str | None = None) -> None:
        """Poll every `interval` seconds; with a PostgreSQL `listen_url`, also wake on NOTIFY."""
        self.state = state
        self.interval = interval
        self.listen_url = listen_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wabp-follower", daemon=True)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self) -> None:
        """Stop following and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        listener = _Listener.connect(self.listen_url)
        try:
            while not self._stop.is_set():
                try:
                    self.state.follow()
                except Exception:  # a database restart must not end following: retried next tick
                    log.exception("following the newest zone generation failed")
                if listener is None or not listener.wait(self.interval):
                    self._stop.wait(self.interval)
        finally:
            if listener is not None:
                listener.close()


class _Listener:
    """A PostgreSQL connection that LISTENs for the approvals' NOTIFY."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    def connect(cls, url: str | None) -> _Listener | None:
        """Listen on `url` (None without PostgreSQL, or when LISTEN fails: polling only)."""
        if url is None:
            return None
        import psycopg

        from service.generations import CHANNEL

        try:
            connection = psycopg.connect(url, autocommit=True)
        except psycopg.Error:
            log.warning("LISTEN %s failed; following by polling only", CHANNEL)
            return None
        try:
            connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            connection.close()
            log.warning("LISTEN %s failed; following by polling only", CHANNEL)
            return None
        return cls(connection)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a notification; False when the connection broke."""
        import psycopg

        try:
            for _ in self.connection.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()
