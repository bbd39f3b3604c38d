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
    """Fuzzy index over street names; each name may stand for several streets (one per postcode)."""

    def __init__(self, names: Sequence[str], thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._ids_by_key: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(names):
            self._ids_by_key[street_key(name)].append(i)
        self._keys = list(self._ids_by_key)

    def ids(self, key: str) -> list[int]:
        """Return the ids of the streets whose name has this key."""
        return self._ids_by_key.get(key, [])

    def match(self, typed: str, allowed: Collection[int] | None = None) -> StreetMatch:
        """Match `typed` against the street names, optionally only those of `allowed` street ids."""
        key = street_key(typed)
        if not key:
            return StreetMatch("none")
        if allowed is not None:
            choices = [k for k in self._keys if any(i in allowed for i in self._ids_by_key[k])]
        else:
            choices = self._keys
        if key in self._ids_by_key and (allowed is None or key in choices):
            return StreetMatch("exact", [(key, 1.0)])
        t = self.thresholds
        found = process.extract(
            key,
            choices,
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
