"""What the running service holds: the current dataset and, on demand, older generations.

Built once at start-up; an approved proposal swaps in the new generation with `reload()`. Requests
read the current dataset once at their start, so a swap never mixes two generations in one answer.
The public map is rendered once per generation with the configured base layer (the ``tiles``
setting), then served from memory.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from dataclasses import dataclass

from maps.livesite import LiveSite
from maps.tiles import TileLayerSpec
from zones.dataset import Dataset, read_meta
from zones.generations import GenerationStore
from zones.lookup import Locator

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

    def __init__(self, dataset: Dataset, tiles: TileLayerSpec | None = None) -> None:
        """Index `dataset` and render its public map with `tiles` (the configured base layer)."""
        self.store = GenerationStore(dataset.paths.root)
        self.tiles = tiles
        self._lock = threading.Lock()
        self._old: OrderedDict[int, Locator] = OrderedDict()
        self.current = self._make_current(dataset)
        _freeze()

    def _make_current(self, dataset: Dataset) -> Current:
        # The map is rendered now, so that the first visitor does not wait (seconds for Flanders).
        locator = Locator(dataset)
        site = LiveSite(dataset, locator, self.tiles)
        public_map = site.page("index.html")
        assert public_map is not None
        return Current(self.store.current().number, dataset, locator, site, public_map)

    def reload(self) -> Current:
        """Load the newest generation from disk and make it current.

        Only its zone side is built, from the current one (`Dataset.with_zones`): the register side
        is shared, and only the addresses the change can affect are assigned again.
        """
        with self._lock:
            zones = self.store.load(self.store.current().number)
            current = self.current.dataset
            # dataset.json is read again: a published contact changes the answers' next steps.
            dataset = current.with_zones(zones, strict=True, meta=read_meta(current.paths))
            self.current = self._make_current(dataset)
            self._old.clear()
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
            zones = self.store.load(generation)  # UnknownGenerationError for an unknown number
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
