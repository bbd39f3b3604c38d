"""Street-name autocomplete: prefix of the whole name, prefix of any word in it, then fuzzy.

Built once over the register's streets; each keystroke is a binary search in sorted keys (and a
bounded Jaro-Winkler pass only when prefixes find too few), so it stays fast with all of Flanders.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from geo.normalize import expand, fold, street_key


@dataclass(frozen=True)
class Suggestion:
    """A street offered for what was typed so far."""

    street_id: int
    score: float


class StreetSuggester:
    """Autocomplete index over street names (one entry per street, i.e. per name and postcode)."""

    def __init__(self, names: Sequence[str]) -> None:
        entries: list[
            tuple[str, int, int]
        ] = []  # (key from a word start, word position, street id)
        self._full: list[str] = []
        for sid, name in enumerate(names):
            words = expand(fold(name)).split()
            self._full.append("".join(words))
            for w in range(len(words)):
                entries.append(("".join(words[w:]), w, sid))
        entries.sort()
        self._entry_keys = [e[0] for e in entries]
        self._entries = entries
        self._unique_full = sorted(set(self._full))
        self._ids_by_full: dict[str, list[int]] = {}
        for sid, key in enumerate(self._full):
            self._ids_by_full.setdefault(key, []).append(sid)

    def suggest(self, typed: str, limit: int = 10) -> list[Suggestion]:
        """Return up to `limit` streets for a typed prefix, best first."""
        key = street_key(typed)
        if not key:
            return []
        scored: dict[int, float] = {}
        lo = bisect.bisect_left(self._entry_keys, key)
        hi = bisect.bisect_right(self._entry_keys, key + "\uffff")
        # Whole-name prefixes rank above word prefixes; shorter names first (closest completion).
        hits = sorted(
            self._entries[lo:hi], key=lambda e: (e[1] > 0, len(self._full[e[2]]), self._full[e[2]])
        )
        for _, word, sid in hits:
            if len(scored) >= limit * 4:
                break
            scored.setdefault(sid, 1.0 if word == 0 else 0.95)
        if len(scored) < limit and len(key) >= 4:
            for full, score, _ in process.extract(
                key,
                self._unique_full,
                scorer=JaroWinkler.normalized_similarity,
                limit=limit,
                score_cutoff=0.85,
            ):
                for sid in self._ids_by_full[full]:
                    scored.setdefault(sid, float(score) * 0.9)
        ranked = sorted(
            scored.items(), key=lambda kv: (-kv[1], len(self._full[kv[0]]), self._full[kv[0]])
        )
        return [Suggestion(sid, score) for sid, score in ranked[:limit]]
