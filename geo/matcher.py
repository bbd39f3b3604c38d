"""Matching a typed street name against the closed list of official street names.

The cascade follows the Flemish register's own matcher (AdresMatch): exact key first (case, accents,
hyphens, spaces and abbreviations already folded by `geo.normalize`), then a fuzzy pass. Typos are
judged by edit distance (OSA: substitutions, insertions, deletions, swapped neighbours): a name one
or two edits away is accepted only when every other name is at least two edits further, or one edit
further but without the typed house number. Jaro-Winkler (prefix-weighted) finds what is not a typo
(``Moggeweide`` for Moggeweidestraat): accepted above `accept` with a margin over the runner-up, and
only when no other name is closer by edits (``Motlenstraat`` is Molenstraat, not Motstraat). Token
scores such as WRatio send "Rode Kruisstraat" to the real but wrong "Kruisstraat". Close calls come
back as candidates for the resident to confirm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from geo.normalize import street_key, street_words_by_name

MatchStatus = Literal["exact", "fuzzy", "ambiguous", "none"]


@dataclass(frozen=True)
class Thresholds:
    """Limits for fuzzy street matching: Jaro-Winkler similarity (0..1) and edit counts."""

    accept: float = 0.92
    margin: float = 0.03
    suggest: float = 0.84
    # Typos (edit distance): at most `edits` on a name of 6+ characters, 1 on a shorter one, and
    # every other name at least `edit_margin` edits further away.
    edits: int = 2
    edit_margin: int = 2


@dataclass(frozen=True)
class StreetMatch:
    """The outcome of matching one typed street name: the keys found, best first, with scores."""

    status: MatchStatus
    keys: list[tuple[str, float]] = field(default_factory=list)


class StreetMatcher:
    """Fuzzy index over street names, per postcode; a name may stand for several streets."""

    def __init__(
        self,
        names: Sequence[str],
        postcodes: Sequence[str],
        thresholds: Thresholds | None = None,
        words: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Index street `names` (one per street) and their `postcodes`.

        `words`: `geo.normalize.street_words_by_name` of the names, when the caller has it.
        """
        self.thresholds = thresholds or Thresholds()
        self._ids_by_key: dict[str, list[int]] = defaultdict(list)
        keys_by_postcode: dict[str, set[str]] = defaultdict(set)
        if words is None:
            words = street_words_by_name(names)
        key_of = {name: "".join(w) for name, w in words.items()}  # each distinct name once
        for i, (name, postcode) in enumerate(zip(names, postcodes, strict=True)):
            key = key_of[name]
            self._ids_by_key[key].append(i)
            keys_by_postcode[postcode].add(key)
        self._keys = sorted(self._ids_by_key)
        self._keys_by_postcode = {p: sorted(k) for p, k in keys_by_postcode.items()}
        self._postcode_of = list(postcodes)
        # Without a place, the fuzzy pass reads only the names with the typed first letter and a
        # length within reach (all of Flanders has some 44,000 names): residents and typos keep
        # the first letter, and a name typed without its "straat" is 6 shorter. Built on first use.
        self._by_start: dict[tuple[str, int], list[str]] = defaultdict(list)
        for key in filter(None, self._keys):
            self._by_start[(key[0], len(key))].append(key)
        self._windows: dict[tuple[str, int, int, int], list[str]] = {}

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

    def _window(self, key: str, shorter: int, longer: int) -> list[str]:
        """Return the keys that start like `key`, from `shorter` characters shorter to `longer` longer."""
        n = len(key)
        window = self._windows.get((key[0], n, shorter, longer))
        if window is None:
            window = [
                k
                for m in range(n - shorter, n + longer + 1)
                for k in self._by_start.get((key[0], m), [])
            ]
            self._windows[(key[0], n, shorter, longer)] = window
        return window

    def match(
        self,
        typed: str,
        postcodes: Collection[str] | None = None,
        has_number: Callable[[str], bool] | None = None,
    ) -> StreetMatch:
        """Match `typed` against the street names, optionally only those of `postcodes`.

        `has_number(key)` tells whether a street of that name has the typed house number: it
        settles a typo that is one edit nearer one street than another.
        """
        key = street_key(typed)
        if not key:
            return StreetMatch("none")
        if self.ids(key, postcodes):
            return StreetMatch("exact", [(key, 1.0)])
        t = self.thresholds
        max_edits = t.edits if len(key) >= 6 else 1
        reach = max_edits + t.edit_margin - 1  # how far a rival of a typo may be
        # A name `reach` edits away is at most `reach` characters longer or shorter.
        choices = (
            self.choices(postcodes) if postcodes is not None else self._window(key, reach, reach)
        )
        near = process.extract(key, choices, scorer=OSA.distance, limit=8, score_cutoff=reach)
        edits = {k: int(d) for k, d, _ in near}
        typo = None
        if edits and min(edits.values()) <= max_edits:
            typo = self._typo(key, edits, max_edits, has_number)
            if typo.status == "fuzzy":
                return typo
        # Not a clear typo: a look-alike by Jaro-Winkler ("Moggeweide" without its "straat"),
        # accepted only above `accept`, with a margin, and when no other name is nearer by edits.
        if postcodes is None:
            choices = self._window(key, 4, 8)
        similar = process.extract(
            key, choices, scorer=JaroWinkler.normalized_similarity, limit=5, score_cutoff=t.suggest
        )
        if not similar:
            return typo or StreetMatch("none")
        scored = [(k, float(s)) for k, s, _ in similar]
        (top, s1), s2 = scored[0], (scored[1][1] if len(scored) > 1 else 0.0)
        if (
            s1 >= t.accept
            and s1 - s2 >= t.margin
            and (not edits or edits.get(top, reach + 1) <= min(edits.values()))
            and (has_number is None or has_number(top))
        ):
            return StreetMatch("fuzzy", [(top, s1)])
        return typo or StreetMatch("ambiguous", scored)

    def _typo(
        self,
        key: str,
        edits: dict[str, int],
        max_edits: int,
        has_number: Callable[[str], bool] | None,
    ) -> StreetMatch:
        """Decide between names within `max_edits` of `key` (and their rivals in `edits`)."""
        margin = self.thresholds.edit_margin
        score = {k: float(JaroWinkler.normalized_similarity(key, k)) for k in edits}
        ranked = sorted(edits, key=lambda k: (edits[k], -score[k], k))
        best, d1 = ranked[0], edits[ranked[0]]
        rivals = [k for k in ranked[1:] if edits[k] < d1 + margin]
        # Every other name `margin` edits further; or only one edit further but without the
        # typed house number (a typo is one or two edits: the nearer name is the likelier).
        if not rivals or (
            has_number is not None
            and all(edits[k] > d1 for k in rivals)
            and has_number(best)
            and not any(has_number(k) for k in rivals)
        ):
            return StreetMatch("fuzzy", [(best, score[best])])
        return StreetMatch(
            "ambiguous", [(k, score[k]) for k in ranked if edits[k] <= max_edits][:5]
        )
