"""Assigning every register address to its zone(s): street rules first, the polygon otherwise.

Register positions move 10-20 m between editions and many addresses lie near a boundary, so a
lookup by address reads this table rather than testing the point live. An address decided by its
polygon that lies within `near_distance` metres of another zone is marked as near that zone, so the
resident or coordinator confirms instead of trusting a line drawn through a front garden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely

from geo.housenumber import parse_register_number
from geo.register import AddressRegister
from geo.spatial import PolygonIndex
from zones.schema import StreetRule, Zone, ZoneSet

Source = Literal["street", "polygon", "none"]
NEAR_DISTANCE_M = 15.0
# A street rule without postcode applies to same-named streets whose addresses come this close.
RULE_REACH_M = 500.0


@dataclass(frozen=True)
class AddressZones:
    """The zones of one address, how they were decided, and other zones within the uncertainty."""

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


def assign(
    zones: ZoneSet, register: AddressRegister, near_distance: float = NEAR_DISTANCE_M
) -> tuple[list[AddressZones], list[RuleConflict]]:
    """Assign every register address its zones; report addresses claimed by two zones' rules."""
    index = zone_index(zones)
    claims = street_claims(zones, register)
    conflicts = [RuleConflict(a, tuple(z)) for a, z in sorted(claims.items()) if len(z) > 1]

    n = len(register)
    by_polygon: dict[int, list[str]] = defaultdict(list)
    near: dict[int, list[str]] = defaultdict(list)
    todo = np.flatnonzero(register.positioned & ~np.isin(np.arange(n), list(claims)))
    if len(index) and len(todo):
        pts, polys = index.covering_many(register.x[todo], register.y[todo])
        for p, z in zip(pts.tolist(), polys.tolist(), strict=True):
            by_polygon[int(todo[p])].append(index.keys[z])
        pts, polys = index.within_many(register.x[todo], register.y[todo], near_distance)
        for p, z in zip(pts.tolist(), polys.tolist(), strict=True):
            near[int(todo[p])].append(index.keys[z])

    order = {z.id: i for i, z in enumerate(zones)}
    table: list[AddressZones] = []
    for a in range(n):
        if a in claims:
            table.append(AddressZones(tuple(claims[a]), "street"))
        elif a in by_polygon:
            own = tuple(sorted(by_polygon[a], key=order.__getitem__))
            others = tuple(z for z in sorted(near.get(a, []), key=order.__getitem__) if z not in own)
            table.append(AddressZones(own, "polygon", others))
        else:
            table.append(AddressZones((), "none", tuple(sorted(set(near.get(a, []))))))
    return table, conflicts
