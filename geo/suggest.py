"""Street-name autocomplete: prefix of the whole name, prefix of any word in it, then fuzzy.

Built once over the register's streets; each keystroke is a binary search in sorted keys (and a
bounded Jaro-Winkler pass only when prefixes find too few), so it stays fast with all of Flanders.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from geo.normalize import street_key, street_words_by_name


@dataclass(frozen=True)
class Suggestion:
    """A street offered for what was typed so far."""

    street_id: int
    score: float


class StreetSuggester:
    """Autocomplete index over street names (one entry per street, i.e. per name and postcode)."""

    def __init__(self, names: Sequence[str]) -> None:
        """Index street `names` (one per street)."""
        # The keys from each word start, per distinct name (a name recurs in many postcodes).
        starts = {
            name: ["".join(w[i:]) for i in range(len(w))]
            for name, w in street_words_by_name(names).items()
        }
        entries: list[
            tuple[str, int, int]
        ] = []  # (key from a word start, word position, street id)
        self._full: list[str] = []
        for sid, name in enumerate(names):
            keys = starts[name]
            self._full.append(keys[0] if keys else "")
            entries += [(key, w, sid) for w, key in enumerate(keys)]
        entries.sort()
        self._entry_keys = [e[0] for e in entries]
        self._unique_full = sorted(set(self._full))
        full_rank = {k: i for i, k in enumerate(self._unique_full)}
        # The rank of each entry as one integer: whole-name prefix before word prefix, then shorter
        # names (closest completion), then the name, then the street. A prefix as broad as "kerk"
        # matches thousands of entries in Flanders; the best few are picked with argpartition
        # instead of sorting them all.
        self._entry_sid = np.array([sid for _, _, sid in entries], dtype=np.int64)
        self._entry_rank = np.array(
            [
                ((word > 0) << 58)
                | (min(len(self._full[sid]), 1023) << 48)
                | (full_rank[self._full[sid]] << 24)
                | sid
                for _, word, sid in entries
            ],
            dtype=np.int64,
        )
        self._entry_word0 = np.array([word == 0 for _, word, _ in entries], dtype=bool)
        self._ids_by_full: dict[str, list[int]] = {}
        for sid, key in enumerate(self._full):
            self._ids_by_full.setdefault(key, []).append(sid)
        # The fuzzy pass reads only names with the typed first letter (typos keep it).
        self._full_by_start: dict[str, list[str]] = {}
        for key in filter(None, self._unique_full):
            self._full_by_start.setdefault(key[0], []).append(key)

    def suggest(self, typed: str, limit: int = 10) -> list[Suggestion]:
        """Return up to `limit` streets for a typed prefix, best first."""
        key = street_key(typed)
        if not key or limit <= 0:
            return []
        scored: dict[int, float] = {}
        lo = bisect.bisect_left(self._entry_keys, key)
        hi = bisect.bisect_right(self._entry_keys, key + "\uffff")
        want = limit * 4
        picked = np.arange(lo, hi)
        if hi - lo > want:
            picked = lo + np.argpartition(self._entry_rank[lo:hi], want)[:want]
        picked = picked[np.argsort(self._entry_rank[picked])]
        for sid, word0 in zip(
            self._entry_sid[picked].tolist(), self._entry_word0[picked].tolist(), strict=True
        ):
            scored.setdefault(sid, 1.0 if word0 else 0.95)
        if len(scored) < limit and len(key) >= 4:
            for full, score, _ in process.extract(
                key,
                self._full_by_start.get(key[0], []),
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
