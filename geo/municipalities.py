"""Flemish and Brussels municipalities: NIS codes, police zones, postcodes and the 2025 mergers.

On 1 January 2025 Flemish municipalities merged (Borgloon and Tongeren into Tongeren-Borgloon,
Kortessem into Hasselt, ...); residents will type the old and the new names for years, and
registers from before 2025 carry the old ones. The tables in ``geo/data/`` (provenance in
``geo/data/README.md``, rebuilt by ``tools/build_place_tables.py``):

- ``municipalities.csv``: NIS code, name and police zone, in the June 2024 and the 2025 version;
- ``mergers_2025.csv``: each 2024 municipality whose NIS code ended, and the 2025 one it is part of;
- ``postcode_municipality.csv``: the 2024 municipality (or municipalities) of each postcode.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from geo.normalize import place_key

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Municipality:
    """A municipality in one version of the map (``2024``: before the mergers, or ``2025``)."""

    nis: str
    name: str
    version: str
    police_zone_code: str
    police_zone: str


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def municipalities() -> tuple[Municipality, ...]:
    """Return every municipality of both versions."""
    return tuple(Municipality(**row) for row in _rows("municipalities.csv"))


@cache
def _mergers() -> dict[str, tuple[str, str]]:
    """Return 2024 name key -> (2025 NIS, 2025 name) for municipalities whose NIS code ended."""
    return {
        place_key(r["name_2024"]): (r["nis_2025"], r["name_2025"])
        for r in _rows("mergers_2025.csv")
    }


@cache
def _merged_from() -> dict[str, list[str]]:
    """Return 2025 name key -> the 2024 names it was made of (only for real mergers)."""
    out: dict[str, list[str]] = {}
    for r in _rows("mergers_2025.csv"):
        if place_key(r["name_2024"]) != place_key(r["name_2025"]) or _merged_elsewhere(r):
            out.setdefault(place_key(r["name_2025"]), []).append(r["name_2024"])
    return out


def _merged_elsewhere(row: dict[str, str]) -> bool:
    # Hasselt kept its name but took in Kortessem: it is a merger for Hasselt's addresses too.
    return any(
        r["nis_2025"] == row["nis_2025"] and r["name_2024"] != row["name_2024"]
        for r in _rows("mergers_2025.csv")
    )


def current_name(name: str) -> str | None:
    """Return the 2025 name of a municipality that merged into one with another name, else None.

    ``current_name("Borgloon") == "Tongeren-Borgloon"``, ``current_name("Kortessem") == "Hasselt"``;
    ``current_name("Hasselt")`` is None (the name did not change).
    """
    merged = _mergers().get(place_key(name))
    if merged is None or place_key(merged[1]) == place_key(name):
        return None
    return merged[1]


def former_name(name: str, postcode: str) -> str | None:
    """Return the 2024 municipality of a postcode inside a 2025 merged municipality, else None.

    ``former_name("Hasselt", "3721") == "Kortessem"``; ``former_name("Hasselt", "3500")`` is None.
    """
    parts = _merged_from().get(place_key(name))
    if not parts:
        return None
    for municipality in municipalities_of_postcode(postcode):
        if municipality in parts and place_key(municipality) != place_key(name):
            return municipality
    return None


def display_name(name: str, postcode: str) -> str:
    """Return the municipality as a resident should read it: the current name, the old one after.

    ``Tongeren-Borgloon (Borgloon)`` for a register that still says Borgloon, and for one that
    already says Tongeren-Borgloon at postcode 3840; unchanged for a municipality that did not merge.
    """
    if not name:
        return name
    now = current_name(name)
    if now is not None:
        return f"{now} ({name})"
    before = former_name(name, postcode)
    return f"{name} ({before})" if before else name


@cache
def _postcode_table() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in _rows("postcode_municipality.csv"):
        out.setdefault(r["postcode"], []).append(r["name_2024"])
    return {k: tuple(v) for k, v in out.items()}


def municipalities_of_postcode(postcode: str) -> tuple[str, ...]:
    """Return the 2024 municipality name(s) of a postcode (empty when unknown, e.g. in Wallonia)."""
    return _postcode_table().get(postcode.strip(), ())


def municipality_places() -> list[tuple[str, str]]:
    """Return (postcode, municipality name) pairs: every 2024 and 2025 name of every postcode.

    bpost lists a postcode under its main place only (3721 is "Vliermaalroot", not Kortessem), so
    "Kortessem" and, since 2025, "Hasselt" must be added for 3721 too.
    """
    pairs = []
    for postcode, names in _postcode_table().items():
        for name in names:
            pairs.append((postcode, name))
            now = current_name(name)
            if now is not None:
                pairs.append((postcode, now))
            elif place_key(name) in _mergers():  # merged, name kept (Hasselt): same name
                pairs.append((postcode, _mergers()[place_key(name)][1]))
    return pairs


def with_merged_names(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return (postcode, place) pairs plus, for a merged municipality's name, its 2025 name."""
    out = []
    for postcode, name in pairs:
        out.append((postcode, name))
        now = current_name(name)
        if now is not None:
            out.append((postcode, now))
    return out


def find_municipality(value: str, version: str | None = None) -> Municipality | None:
    """Return the municipality with this NIS code or name (2024 version first), or None."""
    key = place_key(value)
    found = [
        m
        for m in municipalities()
        if (version is None or m.version == version)
        and (m.nis == value.strip() or place_key(m.name) == key)
    ]
    return found[0] if found else None


def police_zone_key(name: str) -> str:
    """Return the comparison key of a police zone name: ``PZ Kanton Borgloon`` = ``Kanton Borgloon``."""
    words = name.casefold().split()
    if words and words[0] in ("pz", "politiezone"):
        words = words[1:]
    return place_key(" ".join(words))


def police_zone_members(name: str) -> tuple[str, list[Municipality]] | None:
    """Return a police zone's full name and its municipalities (the newest version that has it).

    ``Kanton Borgloon`` is the 2024 zone (Alken, Borgloon, Heers, Kortessem, Wellen); in 2025 the
    code ``ipz111`` is PZ Haspengouw, so a zone is found by name, never by code alone.
    """
    key = police_zone_key(name)
    for version in ("2025", "2024"):
        members = [
            m
            for m in municipalities()
            if m.version == version
            and (police_zone_key(m.police_zone) == key or m.police_zone_code == name.strip())
        ]
        if members:
            return members[0].police_zone, members
    return None
