"""The street index of a published site: the zone of every street, or of each of its house numbers.

A published site answers "which group is mine?" without a server: ``static/wabp/search.js`` loads
this index (as ``zoekindex.js``, a script, because a page opened from disk may not fetch JSON) and
resolves a typed address in the browser. It is built from the register and the address -> zone
table, so it gives the same zone as the service's lookup, street rules included.

Format (``window.WABP_INDEX``; positions are integers of 10^-5 degree, about 1 m)::

    {"v": 1, "detail": bool,
     "z": [[id, name, area, href], ...],           zones, referred to by position
     "m": [municipality, ...],                     place names, referred to by position
     "s": [[name, postcode, place, lat, lon, zone, runs, numbers], ...]}

A zone reference is a position in ``z``, ``-1`` for no zone, or a list of positions for an address
on a shared border. ``zone`` is the whole street's reference when every address agrees, else
``null`` and ``runs`` lists ``[from, to, zone, side, dlat, dlon]`` (side 0 both, 1 odd, 2 even; the
offset is a representative address of the run from the street's point); the first run holding a
number decides. ``numbers`` maps a house-number key (``"30a"``) to ``[dlat, dlon]`` (``[]`` when the
register has no position), or to ``[dlat, dlon, zone]`` when that address's zone is not what the
street or runs say. Without ``detail`` (large registers) it holds only those exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from geo.housenumber import number_key
from zones.assign import AssignmentTable
from zones.coverage import street_order
from zones.dataset import Dataset
from zones.schema import Zone

# Up to this many addresses, every address gets its own position (Alken: about 70 KB in all).
DETAIL_MAX_ADDRESSES = 60_000
SCALE = 100_000
INDEX_VERSION = 1

ZoneRef = int | list[int]
Run = list[Any]


class _Item(NamedTuple):
    key: str
    number: int
    zone: ZoneRef
    # `zone` as a set member or dict key (a list becomes a tuple), computed once per address.
    same: object
    lat: int | None
    lon: int | None


def build_search_index(
    dataset: Dataset,
    zones: Sequence[Zone],
    zone_href: Callable[[Zone], str | None] = lambda zone: None,
    *,
    detail: bool | None = None,
) -> dict[str, Any]:
    """Return the street index of `zones` (the active ones) over the dataset's register."""
    register, table = dataset.register, dataset.table
    detail = len(register) <= DETAIL_MAX_ADDRESSES if detail is None else detail
    refs, same = _zone_refs(table, {z.id: i for i, z in enumerate(zones)})
    # Plain lists, read once per address below: indexing numpy arrays item by item is slow.
    positioned = register.positioned.tolist()
    lat = np.round(np.where(register.positioned, register.lat, 0) * SCALE).astype(np.int64).tolist()
    lon = np.round(np.where(register.positioned, register.lon, 0) * SCALE).astype(np.int64).tolist()
    numbers = register.numbers.tolist()
    housenumbers = register.housenumbers
    # House numbers repeat: each distinct one gets its key once.
    key_of = {h: number_key(h) for h in set(housenumbers)}
    # The register in street order (number, then key), sorted once for every street.
    order = street_order(dataset)
    ids_in_order, starts = order.ids.tolist(), order.starts.tolist()
    places: dict[str, int] = {}
    streets = []
    for street in register.streets:
        lo, hi = starts[street.id], starts[street.id + 1]
        if lo == hi:
            continue
        items = [
            _Item(
                key_of[housenumbers[a]],
                numbers[a],
                refs[a],
                same[a],
                lat[a] if positioned[a] else None,
                lon[a] if positioned[a] else None,
            )
            for a in ids_in_order[lo:hi]
        ]
        place = places.setdefault(street.municipality, len(places))
        streets.append([street.name, street.postcode, place, *_street_entry(items, detail)])
    return {
        "v": INDEX_VERSION,
        "detail": detail,
        "z": [[z.id, z.name, z.props.area, zone_href(z)] for z in zones],
        "m": list(places),
        "s": streets,
    }


def resolve(entry: Sequence[Any], key: str, number: int) -> ZoneRef | None:
    """Return the zone reference the index gives a house number (None when it cannot tell).

    The same rule as ``search.js``: an exception for the key, else the street's zone, else the
    first run holding the number.
    """
    found = entry[7].get(key)
    if found is not None and len(found) > 2:
        return found[2]  # type: ignore[no-any-return]
    if entry[5] is not None:
        return entry[5]  # type: ignore[no-any-return]
    return _run_zone(entry[6], number)


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
    """Return [lat, lon, zone, runs, numbers] of one street's items (sorted by number)."""
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
    numbers: dict[str, list[Any]] = {}
    by_key: dict[str, list[_Item]] = {}
    for item in items:
        by_key.setdefault(item.key, []).append(item)
    street_zone = items[0].same if zone is not None else None
    for key, same in by_key.items():
        here = same[0]
        actual, actual_same = here.zone, here.same
        if len(same) > 1:
            # One house number on two plots (kept by the register) may touch two zones: both count.
            merged = sorted({z for i in same for z in _as_list(i.zone)})
            actual = -1 if not merged else merged[0] if len(merged) == 1 else merged
            actual_same = _hashable(actual)
            here = next((i for i in same if i.lat is not None), here)
        expected = street_zone if zone is not None else _hashable(_run_zone(runs, same[0].number))
        if expected != actual_same:
            numbers[key] = [*offset(here), actual]
        elif detail:
            numbers[key] = offset(here) if here.lat is not None else []
    return [lat, lon, zone, runs, numbers]


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


def _as_list(ref: ZoneRef) -> list[int]:
    if isinstance(ref, list):
        return ref
    return [] if ref < 0 else [ref]


def _hashable(ref: ZoneRef | None) -> object:
    return tuple(ref) if isinstance(ref, list) else ref
