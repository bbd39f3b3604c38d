"""Assigning every register address to its zone(s): street rules first, the polygon otherwise.

Register positions move 10-20 m between editions and many addresses lie near a boundary, so a
lookup by address reads this table rather than testing the point live. An address decided by its
polygon that lies within `near_distance` metres of another zone is marked as near that zone, so the
resident or coordinator confirms instead of trusting a line drawn through a front garden.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely

from geo.housenumber import parse_register_number
from geo.register import AddressRegister
from geo.spatial import PolygonIndex
from zones.schema import StreetRule, Zone, ZoneSet

Source = Literal["street", "polygon", "neighbours", "none"]
SOURCES: tuple[Source, ...] = ("street", "polygon", "neighbours", "none")
NEAR_DISTANCE_M = 15.0
# A street rule without postcode applies to same-named streets whose addresses come this close.
RULE_REACH_M = 500.0
# House numbers stay below this; a street's side and a number share one sortable integer.
NUMBER_SPAN = 1 << 32


@dataclass(frozen=True)
class AddressZones:
    """The zones of one address, how they were decided, and other zones within the uncertainty.

    `source`: ``street`` (a street rule), ``polygon`` (its position), ``neighbours`` (no position:
    the zone of the nearest numbers on the same side of the street) or ``none``.
    """

    zone_ids: tuple[str, ...]
    source: Source
    near: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleConflict:
    """An address claimed by the street rules of more than one zone."""

    address_id: int
    zone_ids: tuple[str, ...]


def zone_index(zones: ZoneSet) -> PolygonIndex:
    """Build the spatial index of the active zones (Lambert 72)."""
    active = zones.active()
    return PolygonIndex([z.id for z in active], [z.geometry_l72 for z in active])


def streets_by_name(register: AddressRegister) -> dict[str, list[int]]:
    """Return the register's street ids per street name (one name, several postcodes)."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for s in register.streets:
        by_name[s.name].append(s.id)
    return dict(by_name)


def rule_streets(
    rule: StreetRule, zone: Zone, register: AddressRegister, by_name: dict[str, list[int]]
) -> list[int]:
    """Return the register street ids a rule of `zone` refers to.

    The one answer to "which streets does this rule name": assignment, conflicts, the lookup of a
    house number the register lacks and the delta of a changed zone set all read it.
    """
    ids = by_name.get(rule.name, [])
    if rule.postcode is not None:
        return [i for i in ids if register.streets[i].postcode == rule.postcode]
    if len(ids) <= 1:
        return ids
    # The same name in several postcodes: keep the streets that actually run near this zone.
    # Streets whose box lies beyond reach of the zone's box cannot (most of them, in Flanders).
    box = register.street_bounds()[ids]
    zx0, zy0, zx1, zy1 = zone.geometry_l72.bounds
    dx = np.maximum(np.maximum(box[:, 0] - zx1, zx0 - box[:, 2]), 0.0)
    dy = np.maximum(np.maximum(box[:, 1] - zy1, zy0 - box[:, 3]), 0.0)
    reachable = np.hypot(dx, dy) <= RULE_REACH_M  # NaN (no position) is never reachable
    near = []
    for sid in np.asarray(ids)[reachable].tolist():
        addr = [a for a in register.on_street(sid) if register.positioned[a]]
        if not addr:
            continue
        points = shapely.multipoints(np.c_[register.x[addr], register.y[addr]])
        if zone.geometry_l72.distance(points) <= RULE_REACH_M:
            near.append(sid)
    return near


RuleStreets = tuple[tuple[StreetRule, tuple[int, ...]], ...]


@dataclass(frozen=True)
class ZoneRules:
    """The deciding street rules of the active zones, each with the register streets it names."""

    per_zone: dict[str, RuleStreets]
    by_street: dict[int, list[tuple[str, StreetRule]]]

    @classmethod
    def resolve(
        cls,
        zones: ZoneSet,
        register: AddressRegister,
        by_name: dict[str, list[int]] | None = None,
        reuse: ZoneRules | None = None,
        unchanged: Collection[str] = (),
    ) -> ZoneRules:
        """Resolve every deciding rule; the rules of `unchanged` zones are taken from `reuse`."""
        names = by_name if by_name is not None else streets_by_name(register)
        per_zone: dict[str, RuleStreets] = {}
        by_street: dict[int, list[tuple[str, StreetRule]]] = {}
        for zone in zones.active():
            if reuse is not None and zone.id in unchanged and zone.id in reuse.per_zone:
                resolved = reuse.per_zone[zone.id]
            else:
                resolved = tuple(
                    (rule, tuple(rule_streets(rule, zone, register, names)))
                    for rule in zone.props.streets
                    if rule.decides()
                )
            if not resolved:
                continue
            per_zone[zone.id] = resolved
            for rule, sids in resolved:
                for sid in sids:
                    by_street.setdefault(sid, []).append((zone.id, rule))
        return cls(per_zone, by_street)

    def streets_of(self, zone_id: str) -> set[int]:
        """Return the streets the rules of a zone name."""
        return {sid for _, sids in self.per_zone.get(zone_id, ()) for sid in sids}

    def claims(
        self, register: AddressRegister, streets: Iterable[int] | None = None
    ) -> dict[int, list[str]]:
        """Return, for every address the rules claim (on `streets`, default all), the claiming zones."""
        claims: dict[int, list[str]] = defaultdict(list)
        for sid in self.by_street if streets is None else streets:
            for zone_id, rule in self.by_street.get(sid, ()):
                for a in register.on_street(sid):
                    if rule.covers(parse_register_number(register.housenumbers[a])):
                        if zone_id not in claims[a]:
                            claims[a].append(zone_id)
        return claims


def street_claims(zones: ZoneSet, register: AddressRegister) -> dict[int, list[str]]:
    """Return, for every address a deciding street rule claims, the zones that claim it."""
    return ZoneRules.resolve(zones, register).claims(register)


def _conflicts(claims: dict[int, list[str]]) -> list[RuleConflict]:
    # The few claimed twice are sorted, not the thousands a change's streets hold.
    return [
        RuleConflict(a, tuple(claims[a]))
        for a in sorted(a for a, z in claims.items() if len(z) > 1)
    ]


def find_conflicts(zones: ZoneSet, register: AddressRegister) -> list[RuleConflict]:
    """Return the addresses claimed by the street rules of more than one zone."""
    return _conflicts(street_claims(zones, register))


class AssignmentTable:
    """The zones of every register address, held as arrays (one row per address).

    Most addresses have one zone or none; the few on a shared border (several zones) and those near
    another zone are kept in small side dictionaries.
    """

    def __init__(
        self,
        zone_ids: list[str],
        primary: npt.NDArray[np.int32],
        source: npt.NDArray[np.int8],
        extra: dict[int, tuple[int, ...]],
        near: dict[int, tuple[int, ...]],
    ) -> None:
        self.zone_ids = zone_ids
        self.primary = primary
        self.source = source
        self.extra = extra
        self.near = near
        self.number = {z: i for i, z in enumerate(zone_ids)}

    def __len__(self) -> int:
        return len(self.primary)

    def __getitem__(self, a: int) -> AddressZones:
        return AddressZones(self.zones_of(a), SOURCES[int(self.source[a])], self.near_of(a))

    def __iter__(self) -> Iterator[AddressZones]:
        return (self[a] for a in range(len(self)))

    def zones_of(self, a: int) -> tuple[str, ...]:
        """Return the ids of the zones of address `a` (empty when in no zone)."""
        if a in self.extra:
            return tuple(self.zone_ids[z] for z in self.extra[a])
        z = int(self.primary[a])
        return (self.zone_ids[z],) if z >= 0 else ()

    def near_of(self, a: int) -> tuple[str, ...]:
        """Return the ids of other zones within the position uncertainty of address `a`."""
        return tuple(self.zone_ids[z] for z in self.near.get(a, ()))

    def members(self, zone_id: str) -> npt.NDArray[np.int64]:
        """Return the addresses of a zone, as their only zone or one of several (sorted ids).

        The one answer to "who is in this zone": reports, coverage and reviews all read it.
        """
        z = self.number.get(zone_id)
        if z is None:
            return np.empty(0, dtype=np.int64)
        ids = np.flatnonzero(self.primary == z)
        shared = [a for a, zs in self.extra.items() if z in zs]
        return np.union1d(ids, np.asarray(shared, dtype=np.int64)) if shared else ids

    def renumbered(self, zone_ids: list[str]) -> AssignmentTable:
        """Return a copy numbered by `zone_ids`; rows of a zone not in `zone_ids` get no zone."""
        if zone_ids == self.zone_ids:  # the usual change: same zones, same order
            return AssignmentTable(
                list(zone_ids),
                self.primary.copy(),
                self.source.copy(),
                dict(self.extra),
                dict(self.near),
            )
        new = {z: i for i, z in enumerate(zone_ids)}
        to_new = np.array([new.get(z, -1) for z in self.zone_ids] + [-1], dtype=np.int32)
        primary = to_new[self.primary]  # index -1 reads the extra last -1: no zone stays none

        def convert(zs: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(int(to_new[z]) for z in zs if to_new[z] >= 0)

        extra = {a: convert(zs) for a, zs in self.extra.items()}
        near = {a: convert(zs) for a, zs in self.near.items()}
        near = {a: zs for a, zs in near.items() if zs}
        return AssignmentTable(list(zone_ids), primary, self.source.copy(), extra, near)

    def counts(self) -> Counter[str]:
        """Return the number of addresses per zone id."""
        counts: Counter[str] = Counter()
        values, n = np.unique(self.primary[self.primary >= 0], return_counts=True)
        for z, c in zip(values.tolist(), n.tolist(), strict=True):
            counts[self.zone_ids[z]] += c
        for a, zs in self.extra.items():
            counts[self.zone_ids[int(self.primary[a])]] -= 1
            for z in zs:
                counts[self.zone_ids[z]] += 1
        return counts


def assign(
    zones: ZoneSet,
    register: AddressRegister,
    near_distance: float = NEAR_DISTANCE_M,
    *,
    rules: ZoneRules | None = None,
    index: PolygonIndex | None = None,
) -> tuple[AssignmentTable, list[RuleConflict]]:
    """Assign every register address its zones; report addresses claimed by two zones' rules."""
    rules = rules if rules is not None else ZoneRules.resolve(zones, register)
    index = index if index is not None else zone_index(zones)
    n = len(register)
    table = AssignmentTable(
        [z.id for z in zones],
        np.full(n, -1, dtype=np.int32),
        np.full(n, SOURCES.index("none"), dtype=np.int8),
        {},
        {},
    )
    claims = rules.claims(register)
    _assign_rows(table, np.arange(n), claims, index, register, near_distance)
    return table, _conflicts(claims)


def reassign(
    old: AssignmentTable,
    old_conflicts: list[RuleConflict],
    zones: ZoneSet,
    rules: ZoneRules,
    index: PolygonIndex,
    register: AddressRegister,
    rows: npt.NDArray[np.int64],
    near_distance: float = NEAR_DISTANCE_M,
) -> tuple[AssignmentTable, list[RuleConflict]]:
    """Return the assignment to `zones` as the old table with the addresses `rows` recomputed.

    `rows` must hold every address the change can affect (see `zones.delta.affected_rows`); the
    zones both sets hold must be in the same relative order, so that zone numbers keep their order.
    """
    table = old.renumbered([z.id for z in zones])
    for a in rows.tolist():
        table.extra.pop(a, None)
        table.near.pop(a, None)
    table.primary[rows] = -1
    table.source[rows] = SOURCES.index("none")
    streets = np.unique(register.street_of[rows]).tolist()
    claims = rules.claims(register, streets)
    wanted = set(rows.tolist())
    claims = {a: zs for a, zs in claims.items() if a in wanted}
    _assign_rows(table, rows, claims, index, register, near_distance)
    kept = [c for c in old_conflicts if c.address_id not in wanted]
    conflicts = sorted([*kept, *_conflicts(claims)], key=lambda c: c.address_id)
    return table, conflicts


def _assign_rows(
    table: AssignmentTable,
    rows: npt.NDArray[np.int64],
    claims: dict[int, list[str]],
    index: PolygonIndex,
    register: AddressRegister,
    near_distance: float,
) -> None:
    """Decide the addresses `rows` (reset to no zone) of `table` in place: rules, polygon, neighbours."""
    number = table.number
    to_set = np.array([number[k] for k in index.keys], dtype=np.int32)
    primary, source, extra, near = table.primary, table.source, table.extra, table.near
    polygon = SOURCES.index("polygon")

    claimed = np.zeros(len(register), dtype=bool)
    for a, zs in claims.items():
        claimed[a] = True
        primary[a] = number[zs[0]]
        source[a] = SOURCES.index("street")
        if len(zs) > 1:
            extra[a] = tuple(number[z] for z in zs)

    todo = rows[register.positioned[rows] & ~claimed[rows]]
    if len(index) and len(todo):
        x, y = register.x[todo], register.y[todo]
        pts, polys, near_pts, near_polys = index.covering_and_near(x, y, near_distance)
        # Each point's lowest covering zone is its primary one, found without sorting the
        # millions of pairs: nearly every point lies in exactly one zone.
        hit = to_set[polys]
        none_yet = np.iinfo(np.int32).max
        lowest = np.full(len(todo), none_yet, dtype=np.int32)
        np.minimum.at(lowest, pts, hit)
        covered = lowest != none_yet
        primary[todo[covered]] = lowest[covered]
        source[todo[covered]] = polygon
        several = np.flatnonzero(np.bincount(pts, minlength=len(todo)) > 1)
        if len(several):  # points on a shared border: every zone they touch
            shared = np.isin(pts, several)
            pairs = sorted(zip(todo[pts[shared]].tolist(), hit[shared].tolist(), strict=True))
            for a, group in itertools.groupby(pairs, key=lambda pair: pair[0]):
                extra[a] = tuple(z for _, z in group)
        # Near another zone: within reach of a zone that does not cover it, decided by polygon.
        others, within = todo[near_pts], to_set[near_polys]
        keep = source[others] == polygon
        found: dict[int, set[int]] = {}
        for a, z in zip(others[keep].tolist(), within[keep].tolist(), strict=True):
            found.setdefault(a, set()).add(z)
        for a, near_zones in found.items():
            near[a] = tuple(sorted(near_zones))
    _from_neighbours(register, table, rows)


# From this many addresses without position on, one vectorised search beats a loop per address.
BULK_NEIGHBOURS = 2_000


def _from_neighbours(
    register: AddressRegister, table: AssignmentTable, rows: npt.NDArray[np.int64]
) -> None:
    """Give an address without position and without a deciding street rule the zone of its neighbours.

    The nearest positioned numbers below and above it on the same side of the street must agree;
    otherwise it stays in no zone (a lookup then offers both).
    """
    none = SOURCES.index("none")
    todo = rows[~register.positioned[rows] & (table.source[rows] == none)]
    todo = todo[register.numbers[todo] >= 0]
    if len(todo) >= BULK_NEIGHBOURS:
        below, above = _neighbours_bulk(register, table, todo)
    else:
        below, above = _neighbours_each(register, table, todo)
    primary, source, extra = table.primary, table.source, table.extra
    # Without shared-border neighbours (nearly always), agreeing zones are one comparison.
    lo_zone = np.where(below >= 0, primary[np.maximum(below, 0)], -2)
    hi_zone = np.where(above >= 0, primary[np.maximum(above, 0)], -2)
    agree = (lo_zone == hi_zone) | (below < 0) | (above < 0)
    agree &= (below >= 0) | (above >= 0)
    shared = np.fromiter(extra, dtype=np.int64, count=len(extra))  # on a shared border
    simple = ~(np.isin(below, shared) | np.isin(above, shared))
    take = agree & simple
    primary[todo[take]] = np.maximum(lo_zone, hi_zone)[take]
    source[todo[take]] = SOURCES.index("neighbours")
    rest = ~simple
    for a, lo, hi in zip(
        todo[rest].tolist(), below[rest].tolist(), above[rest].tolist(), strict=True
    ):
        zone_sets = {extra.get(b, (int(primary[b]),)) for b in (lo, hi) if b >= 0}
        if len(zone_sets) == 1:
            zs = zone_sets.pop()
            primary[a], source[a] = zs[0], SOURCES.index("neighbours")
            if len(zs) > 1:
                extra[a] = zs


def _neighbours_each(
    register: AddressRegister, table: AssignmentTable, todo: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return, per address, the nearest decided positioned number below and above (-1: none)."""
    none = SOURCES.index("none")
    below = np.full(len(todo), -1, dtype=np.int64)
    above = np.full(len(todo), -1, dtype=np.int64)
    for i, a in enumerate(todo.tolist()):
        n = int(register.numbers[a])
        ids = register.on_street_array(int(register.street_of[a]))
        nums = register.numbers[ids]
        side = (
            register.positioned[ids]
            & (nums >= 0)
            & (nums % 2 == n % 2)
            & (table.source[ids] != none)
        )
        lower, higher = side & (nums < n), side & (nums > n)
        if lower.any():  # the first of the highest numbers below, in the street's order
            below[i] = ids[lower][np.argmax(nums[lower])]
        if higher.any():
            above[i] = ids[higher][np.argmin(nums[higher])]
    return below, above


def _neighbours_bulk(
    register: AddressRegister, table: AssignmentTable, todo: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return what `_neighbours_each` returns, with one sort of the candidates and two searches."""
    order = register.street_order()  # address ids in the street's order (street, number key)
    nums = register.numbers[order]
    ok = register.positioned[order] & (nums >= 0) & (table.source[order] != SOURCES.index("none"))
    cand = order[ok]
    # One sorted key per candidate: street and side, then number; ties keep the street's order.
    group = register.street_of[cand].astype(np.int64) * 2 + register.numbers[cand] % 2
    key = group * NUMBER_SPAN + register.numbers[cand]
    # Stable: equal keys keep the street's order.
    sort = np.argsort(key, kind="stable")
    cand, key = cand[sort], key[sort]
    if not len(cand):
        return np.full(len(todo), -1, dtype=np.int64), np.full(len(todo), -1, dtype=np.int64)
    n = register.numbers[todo]
    wanted = (register.street_of[todo].astype(np.int64) * 2 + n % 2) * NUMBER_SPAN + n
    last_below = np.searchsorted(key, wanted, side="left") - 1
    has_below = (last_below >= 0) & (
        key[np.maximum(last_below, 0)] // NUMBER_SPAN == wanted // NUMBER_SPAN
    )
    # The first of the run of that number: what argmax over the street's order picks.
    first_below = np.searchsorted(key, key[np.maximum(last_below, 0)], side="left")
    first_above = np.searchsorted(key, wanted, side="right")
    clipped = np.minimum(first_above, len(key) - 1)
    has_above = (first_above < len(key)) & (key[clipped] // NUMBER_SPAN == wanted // NUMBER_SPAN)
    below = np.where(has_below, cand[first_below], -1)
    above = np.where(has_above, cand[clipped], -1)
    return below.astype(np.int64), above.astype(np.int64)
