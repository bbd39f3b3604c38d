"""The lookup of a published site: the register's streets and numbers, and the lookup's own rules.

A published site answers "which group is mine?" without a server, and must answer as
``GET /api/lookup`` does. So ``static/wabp/lookup-core.js`` is a port of `zones.lookup` (with
`geo.parse`, `geo.normalize`, `geo.matcher` and `geo.places`) that keeps no rule of its own: the
patterns, abbreviations, thresholds, place names and Dutch texts come from Python, in this index
(written as ``zoekindex.js``, a script, because a page opened from disk may not fetch JSON).

Format (``window.WABP_INDEX``; positions are integers of 10^-5 degree, about 1 m)::

    {"v": 2, "detail": bool,
     "z": [[id, name, area, href], ...],           zones, referred to by position
     "m": [municipality, ...],                     place names, referred to by position
     "ml": {"postcode municipality": label, ...},  how answers name a municipality that merged in
                                                   2025 ("3840 Borgloon": "Tongeren-Borgloon
                                                   (Borgloon)"); absent names are shown as they are
     "s": [[name, key, postcode, place, lat, lon, zone, runs, addresses, rules, boxes, parts], ...],
     "r": {...},                                   the rules (see `lookup_rules`)
     "c": {...}}                                   contacts (see `zones.nextsteps.Contacts`)

A zone reference is a position in ``z``, ``-1`` for no zone, or a list of positions for an address
on a shared border. Per street: ``key`` is `geo.normalize.street_key` of its name; ``zone`` is the
whole street's reference when every address agrees, else ``null`` and ``runs`` lists ``[from, to,
zone, side, dlat, dlon]`` (side 0 both, 1 odd, 2 even). ``addresses`` are the register's addresses
in street order, ``[housenumber, zone, dlat, dlon]`` plus the zones it lies near (a list) when the
address is near a zone boundary; ``dlat``/``dlon`` are ``null`` without a position. ``rules`` are
the active zones' street rules that decide house numbers, ``[zone, "all"|"even"|"odd"|[from, to,
side]]``; ``boxes`` is 1 when the register has box numbers on the street; ``parts`` lists, for a
street in several zones, ``[zones, "1-125 (oneven)"]`` per zone set (`zones.coverage.street_parts`).

With ``detail`` every address is listed and the browser's answer is the service's. Without it
(registers too large to ship whole) ``addresses`` holds only the addresses whose zone is not what
the street or its runs say, and the browser says its answer is not certain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, NamedTuple

import numpy as np

from geo import normalize
from geo.housenumber import REGISTER_PATTERN, number_key
from geo.municipalities import display_name
from geo.normalize import street_key
from geo.parse import PATTERNS
from zones import messages
from zones.assign import AssignmentTable
from zones.coverage import street_order, street_parts
from zones.dataset import Dataset
from zones.lookup import MAX_CANDIDATES, MAX_QUERY_LENGTH, Locator
from zones.nextsteps import contacts_of
from zones.schema import StreetRule, Zone

# Up to this many addresses, every address is in the index (Alken: about 110 KB in all).
DETAIL_MAX_ADDRESSES = 60_000
SCALE = 100_000
INDEX_VERSION = 2

ZoneRef = int | list[int]
Run = list[Any]


class _Item(NamedTuple):
    key: str
    housenumber: str
    number: int
    zone: ZoneRef
    # `zone` as a set member or dict key (a list becomes a tuple), computed once per address.
    same: object
    lat: int | None
    lon: int | None
    near: list[int]


def build_search_index(
    dataset: Dataset,
    zones: Sequence[Zone],
    zone_href: Callable[[Zone], str | None] = lambda zone: None,
    *,
    detail: bool | None = None,
    join_url: str | None = None,
) -> dict[str, Any]:
    """Return the search index of `zones` (the active ones) over the dataset's register.

    `join_url` is the registration form the answers link to; None when the site has none (the
    answers then say how to join through the municipality).
    """
    register, table = dataset.register, dataset.table
    detail = len(register) <= DETAIL_MAX_ADDRESSES if detail is None else detail
    position = {z.id: i for i, z in enumerate(zones)}
    refs, same = _zone_refs(table, position)
    near = {a: sorted(position[z] for z in table.near_of(a) if z in position) for a in table.near}
    # Plain lists, read once per address below: indexing numpy arrays item by item is slow.
    positioned = register.positioned.tolist()
    lat = np.round(np.where(register.positioned, register.lat, 0) * SCALE).astype(np.int64).tolist()
    lon = np.round(np.where(register.positioned, register.lon, 0) * SCALE).astype(np.int64).tolist()
    numbers = register.numbers.tolist()
    housenumbers, boxes = register.housenumbers, register.boxes
    # House numbers repeat: each distinct one gets its key once.
    key_of = {h: number_key(h) for h in set(housenumbers)}
    # The register in street order (number, then key), sorted once for every street.
    order = street_order(dataset)
    ids_in_order, starts = order.ids.tolist(), order.starts.tolist()
    locator = Locator(dataset)
    places: dict[str, int] = {}
    streets = []
    for street in register.streets:
        lo, hi = starts[street.id], starts[street.id + 1]
        if lo == hi:
            continue
        ids = ids_in_order[lo:hi]
        items = [
            _Item(
                key_of[housenumbers[a]],
                housenumbers[a],
                numbers[a],
                refs[a],
                same[a],
                lat[a] if positioned[a] else None,
                lon[a] if positioned[a] else None,
                near.get(a, []),
            )
            for a in ids
        ]
        place = places.setdefault(street.municipality, len(places))
        rules = [
            [position[z], _rule_spec(rule)]
            for z, rule in locator.street_rules(street.id)
            if z in position
        ]
        streets.append(
            [
                street.name,
                street_key(street.name),
                street.postcode,
                place,
                *_street_entry(items, detail),
                rules,
                int(any(boxes[a] for a in ids)),
                _parts(dataset, street.id, position) if len({i.same for i in items}) > 1 else [],
            ]
        )
    return {
        "v": INDEX_VERSION,
        "detail": detail,
        "z": [[z.id, z.name, z.props.area, zone_href(z)] for z in zones],
        "m": list(places),
        "ml": _merged_labels(register),
        "s": streets,
        "r": lookup_rules(dataset),
        "c": asdict(contacts_of(dataset, join_url)),
    }


def _merged_labels(register: Any) -> dict[str, str]:
    """Return the labels the lookup gives municipalities across the 2025 mergers (`display_name`)."""
    pairs = {(s.postcode, s.municipality) for s in register.streets if s.municipality}
    labels = {f"{pc} {name}": display_name(name, pc) for pc, name in sorted(pairs)}
    return {key: label for key, label in labels.items() if not key.endswith(f" {label}")}


def lookup_rules(dataset: Dataset) -> dict[str, Any]:
    """Return the lookup's rules as data: parse patterns, abbreviations, thresholds, places, texts."""
    abbreviations = normalize.rules()
    olv = abbreviations.pop("olv")
    assert isinstance(olv, re.Pattern)
    return {
        "patterns": {name: js_regex(p) for name, p in PATTERNS.items()}
        | {"register_number": js_regex(REGISTER_PATTERN), "olv": js_regex(olv)},
        "abbreviations": abbreviations,
        "thresholds": asdict(dataset.matcher.thresholds),
        "places": [[key, " ".join(codes)] for key, codes in dataset.places.entries()],
        "texts": messages.texts(),
        "max_candidates": MAX_CANDIDATES,
        "max_query": MAX_QUERY_LENGTH,
    }


# Python's Unicode classes, written as JavaScript's (with the "u" flag).
_JS_CLASSES = (
    ("[^\\W\\d_]", "\\p{L}"),
    ("[\\w]", "[\\p{L}\\p{N}_]"),
    ("(?P<", "(?<"),
)


def js_regex(pattern: re.Pattern[str]) -> list[str]:
    """Return [source, flags] of a Python pattern as a JavaScript RegExp with the same meaning.

    Only what `geo` uses is translated: verbose layout, named groups, the letter class
    ``[^\\W\\d_]`` and ``[\\w]``; anything else Python-only is refused rather than changed.
    """
    source = pattern.pattern
    if pattern.flags & re.VERBOSE:
        source = _strip_verbose(source)
    for python, js in _JS_CLASSES:
        source = source.replace(python, js)
    # A bare \w left (outside a class: the checks above took those) is a letter, digit or "_".
    source = re.sub(r"(?<!\\)\\w", lambda _: "[\\p{L}\\p{N}_]", source)
    if re.search(r"\\[wWAZ]|\(\?[aiLmsux]|\(\?P=|\(\?#", source):
        raise ValueError(f"pattern {pattern.pattern!r} has Python-only syntax left: {source!r}")
    return [source, "u" + ("i" if pattern.flags & re.IGNORECASE else "")]


def _strip_verbose(source: str) -> str:
    """Drop the layout whitespace of a verbose pattern (escaped and bracketed spaces stay)."""
    out, in_class, escaped = [], False, False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "#":
            raise ValueError("comments in verbose patterns are not translated")
        elif char.isspace():
            continue
        out.append(char)
    return "".join(out)


def _parts(dataset: Dataset, street_id: int, position: dict[str, int]) -> list[list[Any]]:
    """Return a split street's parts as [zone positions, house numbers] (`zones.coverage`)."""
    return [
        [sorted(position[z] for z in zone_set if z in position), numbers]
        for zone_set, numbers in street_parts(dataset, street_id)
    ]


def _rule_spec(rule: StreetRule) -> Any:
    numbers = rule.numbers
    if isinstance(numbers, str):
        return numbers
    side = {None: 0, "odd": 1, "even": 2}[numbers.parity]
    return [numbers.from_, numbers.to, side]


def _zone_refs(
    table: AssignmentTable, position: dict[str, int]
) -> tuple[list[ZoneRef], list[object]]:
    """Return every address's zone reference, and the same as set members (tuples for lists)."""
    # The table's zone numbers as positions in `zones`; the extra last -1 serves primary -1 (none).
    positions = np.array([position.get(z, -1) for z in table.zone_ids] + [-1], dtype=np.int64)
    refs: list[ZoneRef] = positions[table.primary].tolist()
    same: list[object] = list(refs)
    for a in table.extra:
        found = sorted(position[z] for z in table.zones_of(a) if z in position)
        ref: ZoneRef = -1 if not found else found[0] if len(found) == 1 else found
        refs[a] = ref
        same[a] = _hashable(ref)
    return refs, same


def _street_entry(items: list[_Item], detail: bool) -> list[Any]:
    """Return [lat, lon, zone, runs, addresses] of one street's items (in street order)."""
    placed = [i for i in items if i.lat is not None and i.lon is not None]
    lat = lon = None
    if placed:
        mean_lat = sum(i.lat or 0 for i in placed) / len(placed)
        mean_lon = sum(i.lon or 0 for i in placed) / len(placed)
        # A real address near the middle, not the mean: a curved street's mean can lie off it.
        middle = min(
            placed, key=lambda i: ((i.lat or 0) - mean_lat) ** 2 + ((i.lon or 0) - mean_lon) ** 2
        )
        lat, lon = middle.lat, middle.lon

    def offset(item: _Item) -> list[int | None]:
        if item.lat is None or item.lon is None or lat is None or lon is None:
            return [None, None]
        return [item.lat - lat, item.lon - lon]

    distinct = {i.same for i in items}
    zone: ZoneRef | None = items[0].zone if len(distinct) == 1 else None
    runs = [] if zone is not None else _runs(items, offset)
    addresses: list[list[Any]] = []
    street_zone = items[0].same if zone is not None else None
    for item in items:
        expected = street_zone if zone is not None else _hashable(_run_zone(runs, item.number))
        if detail or expected != item.same:
            row = [item.housenumber, item.zone, *offset(item)]
            if item.near:
                row.append(item.near)
            addresses.append(row)
    return [lat, lon, zone, runs, addresses]


def _runs(items: list[_Item], offset: Callable[[_Item], list[int | None]]) -> list[Run]:
    """Return the shorter of: runs over both sides of the street, or runs per side."""
    numbered = [i for i in items if i.number >= 0]
    both = _merge(numbered, side=0, offset=offset)
    sides = _merge([i for i in numbered if i.number % 2], side=1, offset=offset) + _merge(
        [i for i in numbered if not i.number % 2], side=2, offset=offset
    )
    return both if len(both) <= len(sides) else sides


def _merge(
    items: list[_Item], *, side: int, offset: Callable[[_Item], list[int | None]]
) -> list[Run]:
    """Return runs of consecutive items with the same zone: [from, to, zone, side, dlat, dlon]."""
    runs: list[Run] = []
    group: list[_Item] = []
    for item in [*items, None]:
        if group and (item is None or item.same != group[0].same):
            middle = group[len(group) // 2]
            runs.append([group[0].number, group[-1].number, group[0].zone, side, *offset(middle)])
            group = []
        if item is not None:
            group.append(item)
    return runs


def _run_zone(runs: Sequence[Run], number: int) -> ZoneRef | None:
    if number < 0:
        return None
    for start, end, zone, side, *_ in runs:
        if start <= number <= end and (side == 0 or side == (1 if number % 2 else 2)):
            return zone  # type: ignore[no-any-return]
    return None


def _hashable(ref: ZoneRef | None) -> object:
    return tuple(ref) if isinstance(ref, list) else ref
