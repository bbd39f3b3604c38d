"""Assigning every register address to its zone(s): street rules first, the polygon otherwise.

Register positions move 10-20 m between editions and many addresses lie near a boundary, so a
lookup by address reads this table rather than testing the point live. An address decided by its
polygon that lies within `near_distance` metres of another zone is marked as near that zone, so the
resident or coordinator confirms instead of trusting a line drawn through a front garden.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
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


def rule_streets(
    rule: StreetRule, zone: Zone, register: AddressRegister, by_name: dict[str, list[int]]
) -> list[int]:
    """Return the register street ids a rule of `zone` refers to."""
    ids = by_name.get(rule.name, [])
    if rule.postcode is not None:
        return [i for i in ids if register.streets[i].postcode == rule.postcode]
    if len(ids) <= 1:
        return ids
    # The same name in several postcodes: keep the streets that actually run near this zone.
    near = []
    for sid in ids:
        addr = [a for a in register.on_street(sid) if register.positioned[a]]
        if not addr:
            continue
        points = shapely.multipoints(np.c_[register.x[addr], register.y[addr]])
        if zone.geometry_l72.distance(points) <= RULE_REACH_M:
            near.append(sid)
    return near


def street_claims(zones: ZoneSet, register: AddressRegister) -> dict[int, list[str]]:
    """Return, for every address a deciding street rule claims, the zones that claim it."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for s in register.streets:
        by_name[s.name].append(s.id)
    claims: dict[int, list[str]] = defaultdict(list)
    for zone in zones.active():
        for rule in zone.props.streets:
            if not rule.decides():
                continue
            for sid in rule_streets(rule, zone, register, by_name):
                for a in register.on_street(sid):
                    if rule.covers(parse_register_number(register.housenumbers[a])):
                        if zone.id not in claims[a]:
                            claims[a].append(zone.id)
    return claims


def find_conflicts(zones: ZoneSet, register: AddressRegister) -> list[RuleConflict]:
    """Return the addresses claimed by the street rules of more than one zone."""
    claims = street_claims(zones, register)
    return [RuleConflict(a, tuple(z)) for a, z in sorted(claims.items()) if len(z) > 1]


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
    zones: ZoneSet, register: AddressRegister, near_distance: float = NEAR_DISTANCE_M
) -> tuple[AssignmentTable, list[RuleConflict]]:
    """Assign every register address its zones; report addresses claimed by two zones' rules."""
    ids = [z.id for z in zones]
    number = {z: i for i, z in enumerate(ids)}
    index = zone_index(zones)
    to_set = np.array([number[k] for k in index.keys], dtype=np.int32)
    claims = street_claims(zones, register)
    conflicts = [RuleConflict(a, tuple(z)) for a, z in sorted(claims.items()) if len(z) > 1]

    n = len(register)
    primary = np.full(n, -1, dtype=np.int32)
    source = np.full(n, SOURCES.index("none"), dtype=np.int8)
    extra: dict[int, tuple[int, ...]] = {}
    near: dict[int, tuple[int, ...]] = {}

    claimed = np.zeros(n, dtype=bool)
    for a, zs in claims.items():
        claimed[a] = True
        primary[a] = number[zs[0]]
        source[a] = SOURCES.index("street")
        if len(zs) > 1:
            extra[a] = tuple(number[z] for z in zs)

    todo = np.flatnonzero(register.positioned & ~claimed)
    if len(index) and len(todo):
        pts, polys = index.covering_many(register.x[todo], register.y[todo])
        order = np.lexsort((to_set[polys], pts))
        pts, hit = todo[pts[order]], to_set[polys[order]]
        first = np.unique(pts, return_index=True)[1]
        primary[pts[first]] = hit[first]
        source[pts[first]] = SOURCES.index("polygon")
        if len(pts) > len(first):  # points on a shared border: every zone they touch
            for a in np.unique(pts[np.r_[False, pts[1:] == pts[:-1]]]).tolist():
                extra[a] = tuple(sorted(hit[pts == a].tolist()))
        # Only points near a border can be near another zone: test those against the zones within reach.
        near_pts, near_polys = index.within_many(register.x[todo], register.y[todo], near_distance)
        others = todo[near_pts]
        for a, z in zip(others.tolist(), to_set[near_polys].tolist(), strict=True):
            if source[a] != SOURCES.index("polygon") or z == primary[a] or z in extra.get(a, ()):
                continue
            near[a] = (*near.get(a, ()), z)
    near = {a: tuple(sorted(set(zs))) for a, zs in near.items()}
    _from_neighbours(register, primary, source, extra)
    return AssignmentTable(ids, primary, source, extra, near), conflicts


def _from_neighbours(
    register: AddressRegister,
    primary: npt.NDArray[np.int32],
    source: npt.NDArray[np.int8],
    extra: dict[int, tuple[int, ...]],
) -> None:
    """Give an address without position and without a deciding street rule the zone of its neighbours.

    The nearest positioned numbers below and above it on the same side of the street must agree;
    otherwise it stays in no zone (a lookup then offers both).
    """
    none = SOURCES.index("none")
    for a in np.flatnonzero(~register.positioned & (source == none)).tolist():
        n = int(register.numbers[a])
        if n < 0:
            continue
        ids = register.on_street_array(int(register.street_of[a]))
        nums = register.numbers[ids]
        side = register.positioned[ids] & (nums >= 0) & (nums % 2 == n % 2) & (source[ids] != none)
        found = []
        below, above = side & (nums < n), side & (nums > n)
        if below.any():
            found.append(int(ids[below][np.argmax(nums[below])]))
        if above.any():
            found.append(int(ids[above][np.argmin(nums[above])]))
        zone_sets = {extra.get(b, (int(primary[b]),)) for b in found}
        if len(zone_sets) == 1:
            zs = zone_sets.pop()
            primary[a], source[a] = zs[0], SOURCES.index("neighbours")
            if len(zs) > 1:
                extra[a] = zs
