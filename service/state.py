"""What the running service holds: the current dataset and, on demand, older generations.

Built once at start-up. The generations live in the database (`service.generations`); every
instance follows the newest one with `follow()`, called after its own approvals and by the
`Follower` thread, which polls the generation number (and, on PostgreSQL, wakes on the approval's
NOTIFY). Requests read the current dataset once at their start, so a swap never mixes two
generations in one answer.

A new generation is served as soon as its zone side and locator exist. What is derived from it and
slow at Flanders scale, its public map page and the files exported to the dataset directory, is
made afterwards by the `Publisher` thread: until its map is ready the previous generation's map
stays served, labelled with that generation (`PublicMap`), never as the new one's.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from maps.livesite import LiveSite
from maps.tiles import TileLayerSpec
from service.generations import ZoneGenerations
from service.privacy import log_failure
from service.published import PublishedTexts, Versions
from zones.dataset import Dataset, read_meta
from zones.lookup import Locator

log = logging.getLogger("wabp")

KEEP_OLD_GENERATIONS = 4
# A failed render of the public map is tried again after 1, 2, 4 ... seconds, this many times.
RENDER_ATTEMPTS = 4
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Current:
    """The current generation: dataset, locator and its pages (rendered on demand)."""

    generation: int
    dataset: Dataset
    locator: Locator
    site: LiveSite


@dataclass(frozen=True)
class PublicMap:
    """The public map page as served, and the generation it shows (not always the current one)."""

    generation: int
    html: str


class ServiceState:
    """The datasets of every generation the service has been asked about."""

    def __init__(
        self,
        dataset: Dataset,
        generations: ZoneGenerations,
        generation: int,
        tiles: TileLayerSpec | None = None,
        texts: PublishedTexts | None = None,
        versions: Versions | None = None,
    ) -> None:
        """Index `dataset` (generation number `generation`) and render its public map with `tiles`.

        `texts` are the published contact and infoborden that `dataset` was loaded with, at
        `versions` (without them, the dataset's own files stand and are not followed).
        """
        self.generations = generations
        self.tiles = tiles
        self.texts = texts
        self.versions: Versions = dict(versions or {})
        # Re-entrant: reload() offers its map while it holds the lock.
        self._lock = threading.RLock()
        self._old: OrderedDict[int, Locator] = OrderedDict()
        self.current = self._make_current(generation, dataset)
        # Rendered now, so that the first visitor does not wait (seconds for Flanders).
        self.public_map = PublicMap(generation, _render_map(self.current))
        self.publisher = Publisher(self)
        self.publisher.wake()  # first: the indexes a proposal report needs, built in advance
        _freeze()

    def _make_current(self, generation: int, dataset: Dataset) -> Current:
        locator = Locator(dataset)
        return Current(generation, dataset, locator, LiveSite(dataset, locator, self.tiles))

    def follow(self) -> Current:
        """Serve the newest generation and published texts in the database; the map follows."""
        with self._lock:
            newest = self.generations.latest()
            versions = self.texts.versions() if self.texts is not None else self.versions
            current = self.current
            if newest <= current.generation and versions == self.versions:
                return current
            dataset = current.dataset
            if newest > current.generation:
                # Only the changed zones are read: the others stay the objects the side holds.
                zones = self.generations.follow_from(current.generation, dataset.zones, newest)
                # Not strict: the generation passed the dataset checks when it was approved, and a
                # follower must never stop following over a warning that became an error since.
                dataset = dataset.with_zones(zones, strict=False)
                self._old.clear()
                log.info("now serving zone generation %d", newest)
            published = versions != self.versions and self.texts is not None
            written = self.versions
            if published and self.texts is not None:
                # Written to this instance's dataset directory, then read as a start-up would.
                written = self.texts.write_files(self.versions)
                meta = read_meta(dataset.paths)
                dataset = dataset.with_zones(dataset.zones, meta=meta).with_infoborden_reloaded()
            self.current = self._make_current(newest, dataset)
            # Only now: had anything above failed, the next follow would write and read them again
            # (writing is idempotent), instead of taking the texts for served.
            self.versions = written
            if published and newest <= current.generation:
                # Same zones, new contact or boards: the served map is redrawn now (the publisher
                # redraws only for a new generation), so staff see their change at once.
                self.offer_map(self.current, _render_map(self.current))
            _freeze()
        self.publisher.wake()
        return self.current

    def offer_map(self, rendered_for: Current, html: str) -> bool:
        """Serve `html`, the map of `rendered_for`, unless a newer map is served; say if it is."""
        with self._lock:
            served = self.public_map
            if rendered_for is not self.current and rendered_for.generation <= served.generation:
                return False  # a map of what is no longer current, and no newer than the served one
            self.public_map = PublicMap(rendered_for.generation, html)
            return True

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until the current generation's map and files are made; False on timeout."""
        return self.publisher.wait_idle(timeout)

    def close(self) -> None:
        """Finish what the publisher is making and stop it."""
        self.publisher.stop()

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


def _render_map(current: Current) -> str:
    page = current.site.page("index.html")
    assert page is not None  # a site always has its index page
    return page


class Publisher:
    """A thread that makes the current generation's public map and exports its files.

    Woken by `ServiceState.follow`; several generations in quick succession are made once, for
    the newest. A failed render is logged (the error's kind only: its text could quote data) and
    tried again with a growing pause; after the last attempt the previous map stays served and
    `failed` names the generation whose map could not be made. A failed export is tried again at
    the next wake (and repaired at every start-up).
    """

    def __init__(self, state: ServiceState) -> None:
        """Start the thread for `state` (nothing to do yet: its map was rendered at start-up)."""
        self.state = state
        self.exported = state.current.generation
        self.failed: int | None = None
        self._warmed = False
        self._wanted = threading.Condition()
        self._pending = False
        self._busy = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="wabp-publisher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask for the current generation's map and files."""
        with self._wanted:
            self._pending = True
            self._wanted.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is asked for or being made; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wanted:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._wanted.wait(left)
        return True

    def stop(self) -> None:
        """Make what is asked for, then end the thread."""
        with self._wanted:
            self._stopped = True
            self._wanted.notify_all()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        while True:
            with self._wanted:
                while not self._pending and not self._stopped:
                    self._wanted.wait()
                if not self._pending:
                    return  # stopped, nothing left to make
                self._pending, self._busy = False, True
            try:
                self._publish(self.state.current)
            finally:
                with self._wanted:
                    self._busy = False
                    self._wanted.notify_all()

    def _publish(self, current: Current) -> None:
        if not self._warmed:
            # Built on first use otherwise: the first proposal report would wait a second for
            # the register's point grid and street boxes at Flanders scale.
            self._warmed = True
            current.dataset.base.grid  # noqa: B018 (a cached property, built here)
            current.dataset.register.street_bounds()
            # The street autocomplete is built on first use, not at load: build it now, before
            # the first resident types a street name.
            current.dataset.suggester  # noqa: B018
        if self.state.public_map.generation < current.generation:
            self._render(current)
        if self.exported < current.generation:
            try:
                self.state.generations.export(since=self.exported)
                self.exported = current.generation
            except Exception as exc:  # a full disk must not stop serving; tried again next time
                log.error(
                    "exporting zone generation %d failed (%s)",
                    current.generation,
                    type(exc).__name__,
                )

    def _render(self, current: Current) -> None:
        pause = RETRY_SECONDS
        for attempt in range(1, RENDER_ATTEMPTS + 1):
            try:
                html = _render_map(current)
            except Exception as exc:  # logged by kind only, without the data it may quote
                log.error(
                    "rendering the public map of generation %d failed (%s), attempt %d of %d",
                    current.generation,
                    type(exc).__name__,
                    attempt,
                    RENDER_ATTEMPTS,
                )
                if attempt == RENDER_ATTEMPTS or self._stopped or self.state.current is not current:
                    break
                time.sleep(pause)
                pause *= 2
                continue
            self.state.offer_map(current, html)
            if self.failed == current.generation:
                self.failed = None
            return
        self.failed = current.generation
        log.error(
            "the public map of generation %d could not be made; generation %d's is still served",
            current.generation,
            self.state.public_map.generation,
        )


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
        """Stop following and wait for the thread; then let the publisher finish and stop."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.state.close()

    def _run(self) -> None:
        listener = _Listener.connect(self.listen_url)
        try:
            while not self._stop.is_set():
                try:
                    self.state.follow()
                except Exception:  # a database restart must not end following: retried next tick
                    log_failure(log, "following the newest zone generation failed")
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
