"""Place names to postcodes: municipalities, sub-municipalities and hamlets as residents type them.

Built from bpost's public postcode list (``geo/data/bpost_postcodes_nl.csv``: Zellik and Relegem are
1731, Kobbegem 1730) plus the municipality names of the loaded register.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from geo.normalize import place_key

BPOST_POSTCODES = Path(__file__).parent / "data" / "bpost_postcodes_nl.csv"


def read_bpost(path: Path = BPOST_POSTCODES) -> list[tuple[str, str]]:
    """Return (postcode, place name) pairs from bpost's list (``;``-separated, UTF-8 with BOM)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            (row["Postcode"].strip(), row["Plaatsnaam"].strip())
            for row in csv.DictReader(f, delimiter=";")
        ]


class PlaceIndex:
    """Resolve a typed place name (or postcode) to the postcodes it may mean."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._postcodes: dict[str, set[str]] = defaultdict(set)
        self._names: dict[str, str] = {}
        for postcode, name in pairs:
            key = place_key(name)
            if key:
                self._postcodes[key].add(postcode)
                self._names.setdefault(postcode, name)
        self._keys = list(self._postcodes)

    def resolve(self, place: str) -> set[str] | None:
        """Return the postcodes of a place name (exact key, else a close typo), or None."""
        key = place_key(place)
        if not key:
            return None
        if key in self._postcodes:
            return set(self._postcodes[key])
        best = process.extractOne(
            key, self._keys, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.93
        )
        return set(self._postcodes[best[0]]) if best else None

    def entries(self) -> list[tuple[str, list[str]]]:
        """Return (place key, postcodes) in the order `resolve` reads them (ties go to the first)."""
        return [(key, sorted(self._postcodes[key])) for key in self._keys]

    def name(self, postcode: str) -> str | None:
        """Return a place name for a postcode."""
        return self._names.get(postcode)
