"""Matching a typed street name against the closed list of official street names.

The cascade follows the Flemish register's own matcher (AdresMatch): exact key first (case, accents,
hyphens, spaces and abbreviations already folded by `geo.normalize`), then a fuzzy score. The fuzzy
score is Jaro-Winkler (prefix-weighted): token scores such as WRatio send "Rode Kruisstraat" to the
real but wrong "Kruisstraat". A fuzzy match is accepted only above `accept` *and* with a margin over
the best different street name; close calls come back as candidates for the resident to confirm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from geo.normalize import street_key

MatchStatus = Literal["exact", "fuzzy", "ambiguous", "none"]


@dataclass(frozen=True)
class Thresholds:
    """Score limits for fuzzy street matching (Jaro-Winkler similarity, 0..1)."""

    accept: float = 0.92
    margin: float = 0.03
    suggest: float = 0.84


@dataclass(frozen=True)
class StreetMatch:
    """The outcome of matching one typed street name: the keys found, best first, with scores."""

    status: MatchStatus
    keys: list[tuple[str, float]] = field(default_factory=list)


class StreetMatcher:
    """Fuzzy index over street names, per postcode; a name may stand for several streets."""

    def __init__(
        self, names: Sequence[str], postcodes: Sequence[str], thresholds: Thresholds | None = None
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self._ids_by_key: dict[str, list[int]] = defaultdict(list)
        keys_by_postcode: dict[str, set[str]] = defaultdict(set)
        for i, (name, postcode) in enumerate(zip(names, postcodes, strict=True)):
            key = street_key(name)
            self._ids_by_key[key].append(i)
            keys_by_postcode[postcode].add(key)
        self._keys = sorted(self._ids_by_key)
        self._keys_by_postcode = {p: sorted(k) for p, k in keys_by_postcode.items()}
        self._postcode_of = list(postcodes)

    def ids(self, key: str, postcodes: Collection[str] | None = None) -> list[int]:
        """Return the ids of the streets whose name has this key (in these postcodes)."""
        ids = self._ids_by_key.get(key, [])
        if postcodes is None:
            return ids
        return [i for i in ids if self._postcode_of[i] in postcodes]

    def choices(self, postcodes: Collection[str] | None) -> list[str]:
        """Return the street keys of these postcodes (all keys for None)."""
        if postcodes is None:
            return self._keys
        if len(postcodes) == 1:
            return self._keys_by_postcode.get(next(iter(postcodes)), [])
        return sorted({k for p in postcodes for k in self._keys_by_postcode.get(p, [])})

    def match(self, typed: str, postcodes: Collection[str] | None = None) -> StreetMatch:
        """Match `typed` against the street names, optionally only those of `postcodes`."""
        key = street_key(typed)
        if not key:
            return StreetMatch("none")
        if self.ids(key, postcodes):
            return StreetMatch("exact", [(key, 1.0)])
        t = self.thresholds
        found = process.extract(
            key,
            self.choices(postcodes),
            scorer=JaroWinkler.normalized_similarity,
            limit=5,
            score_cutoff=t.suggest,
        )
        scored = [(k, float(score)) for k, score, _ in found]
        if not scored:
            return StreetMatch("none")
        best = scored[0][1]
        runner_up = scored[1][1] if len(scored) > 1 else 0.0
        if best >= t.accept and best - runner_up >= t.margin:
            return StreetMatch("fuzzy", scored[:1])
        return StreetMatch("ambiguous", scored)
