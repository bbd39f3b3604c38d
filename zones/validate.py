"""Validating a zone set: geometry, coordinates, overlaps, the municipality boundary, street lists.

Every check returns `Problem`s with a stable code, the zone(s) concerned and one line of English for
the person running ``wabp validate``; errors make a zone set unusable, warnings are for a person to
look at.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import LonLat, in_belgium, in_belgium_arrays
from geo.register import AddressRegister
from zones.assign import SOURCES, AssignmentTable, RuleConflict
from zones.schema import Zone, ZoneSet

Severity = Literal["error", "warning"]
OVERLAP_TOLERANCE_M2 = 1.0  # rounding to 1e-7 degrees leaves overlaps of a few cm²
OUTSIDE_TOLERANCE_M2 = 100.0
# Boundary layers are generalised by their publishers (the Flemish wijk and municipality layers
# differ by up to ~0.3 % of a wijk's area), so only a larger share outside is an error.
OUTSIDE_ERROR_SHARE = 0.01


@dataclass(frozen=True)
class Problem:
    """One finding of validation."""

    code: str
    severity: Severity
    message: str
    zones: tuple[str, ...] = field(default_factory=tuple)


def _coordinates_problem(zone: Zone) -> Problem | None:
    coords = shapely.get_coordinates(zone.geometry)
    if len(coords) == 0:
        return Problem("empty_geometry", "error", f"zone {zone.id!r}: empty geometry", (zone.id,))
    outside = [LonLat(x, y) for x, y in coords if not in_belgium(LonLat(x, y))]
    if not outside:
        return None
    if all(in_belgium(LonLat(p.lat, p.lon)) for p in outside):
        msg = f"zone {zone.id!r}: coordinates look like latitude/longitude swapped (GeoJSON is longitude first)"
        return Problem("swapped_coordinates", "error", msg, (zone.id,))
    if any(abs(p.lon) > 360 or abs(p.lat) > 90 for p in outside):
        msg = f"zone {zone.id!r}: coordinates look like projected metres; GeoJSON must be WGS84 longitude/latitude"
        return Problem("projected_coordinates", "error", msg, (zone.id,))
    p = outside[0]
    msg = f"zone {zone.id!r}: coordinate ({p.lon}, {p.lat}) is outside Belgium"
    return Problem("outside_belgium", "error", msg, (zone.id,))


def check_geometry(zones: ZoneSet) -> list[Problem]:
    """Check that every zone is a valid polygon with WGS84 coordinates inside Belgium."""
    problems = []
    # Every coordinate of every zone tested at once; only a zone with a problem is looked at
    # point by point (all of Flanders: 200,000 coordinates).
    geometries = [zone.geometry for zone in zones]
    coords, index = shapely.get_coordinates(geometries, return_index=True)
    outside = ~in_belgium_arrays(coords[:, 0], coords[:, 1])
    suspect = (np.bincount(index, minlength=len(zones)) == 0) | (
        np.bincount(index[outside], minlength=len(zones)) > 0
    )
    valid = shapely.is_valid(geometries)
    for zone, odd, ok in zip(zones, suspect.tolist(), valid.tolist(), strict=True):
        if odd and (p := _coordinates_problem(zone)) is not None:
            problems.append(p)
            continue
        if not ok:
            reason = shapely.is_valid_reason(zone.geometry)
            problems.append(
                Problem(
                    "invalid_geometry",
                    "error",
                    f"zone {zone.id!r}: invalid geometry: {reason}",
                    (zone.id,),
                )
            )
    return problems


def check_overlaps(zones: ZoneSet) -> list[Problem]:
    """Check that no two active zones overlap (beyond rounding)."""
    active = _valid(zones.active())
    if len(active) < 2:
        return []  # also: STRtree.query([]) raises on an empty list (a dataset without zones)
    shapes = np.array([z.geometry_l72 for z in active], dtype=object)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    left, right = left[left < right], right[left < right]
    # Neighbours touch along their border; only pairs whose interiors meet can overlap by an
    # area, and telling that is a few times cheaper than cutting every touching pair.
    meet = shapely.relate_pattern(shapes[left], shapes[right], "T********")
    pairs = sorted(zip(left[meet].tolist(), right[meet].tolist(), strict=True))
    return [p for i, j in pairs if (p := _overlap(active[i], active[j])) is not None]


def _valid(zones: list[Zone]) -> list[Zone]:
    """Return the zones whose Lambert 72 shape is valid (tested at once)."""
    valid = shapely.is_valid([z.geometry_l72 for z in zones]) if zones else []
    return [z for z, ok in zip(zones, valid, strict=True) if ok]


def _overlap(a: Zone, b: Zone) -> Problem | None:
    area = shapely.area(shapely.intersection(a.geometry_l72, b.geometry_l72))
    if area <= OVERLAP_TOLERANCE_M2:
        return None
    return Problem(
        "overlap", "error", f"zones {a.id!r} and {b.id!r} overlap by {area:,.0f} m²", (a.id, b.id)
    )


def check_boundary(
    zones: ZoneSet, boundary_l72: BaseGeometry, only: Collection[str] | None = None
) -> list[Problem]:
    """Check that every zone (of `only`, when given) lies inside the municipality boundary."""
    problems = []
    # Prepared, a zone wholly inside is told in microseconds; only the others are cut.
    shapely.prepare(boundary_l72)
    candidates = [z for z in zones.active() if only is None or z.id in only]
    for zone in _valid(candidates):
        if shapely.covers(boundary_l72, zone.geometry_l72):
            continue
        outside = shapely.area(shapely.difference(zone.geometry_l72, boundary_l72))
        if outside <= OUTSIDE_TOLERANCE_M2:
            continue
        share = outside / max(zone.geometry_l72.area, 1.0)
        severity: Severity = "error" if share > OUTSIDE_ERROR_SHARE else "warning"
        problems.append(
            Problem(
                "outside_municipality",
                severity,
                f"zone {zone.id!r}: {outside:,.0f} m² ({share:.1%}) lies outside the municipality",
                (zone.id,),
            )
        )
    return problems


def check_streets(
    zones: ZoneSet,
    register: AddressRegister,
    table: AssignmentTable,
    conflicts: list[RuleConflict],
    names: Collection[str] | None = None,
) -> list[Problem]:
    """Check street lists against the register and the polygons.

    Reports unknown street names, addresses claimed by two zones' rules, and listed streets whose
    addresses lie in another zone's polygon. `names`: the register's street names, when the
    caller holds them (a set of all of Flanders' takes a while to build).
    """
    problems = []
    if names is None:
        names = {s.name for s in register.streets}
    for zone in zones.active():
        for rule in zone.props.streets:
            if rule.name not in names:
                problems.append(
                    Problem(
                        "unknown_street",
                        "warning",
                        f"zone {zone.id!r}: street {rule.name!r} is not in the address register",
                        (zone.id,),
                    )
                )
    by_pair: Counter[tuple[str, ...]] = Counter(c.zone_ids for c in conflicts)
    for pair, count in by_pair.items():
        problems.append(
            Problem(
                "rule_conflict",
                "error",
                f"zones {' and '.join(repr(z) for z in pair)}: street rules both claim {count} addresses",
                pair,
            )
        )

    # A listed street whose addresses the zone's polygon does not cover, while another zone's does.
    elsewhere: dict[tuple[str, str, str], int] = defaultdict(int)
    tree_zones = zones.active()
    tree = shapely.STRtree([z.geometry_l72 for z in tree_zones])
    by_street = np.flatnonzero((table.source == SOURCES.index("street")) & register.positioned)
    # Each zone's own addresses tested against its (prepared) polygon at once; only the few
    # outside it are looked up in the tree (thousands of addresses in Flanders).
    own: dict[str, list[int]] = defaultdict(list)
    several = [a for a in by_street.tolist() if a in table.extra] if table.extra else []
    for a in several:
        for zid in table.zones_of(a):
            own[zid].append(a)
    alone = np.setdiff1d(by_street, np.asarray(several, dtype=np.int64), assume_unique=True)
    if len(alone):  # grouped by zone with one sort, not a lookup per address
        order = np.argsort(table.primary[alone], kind="stable")
        numbers, starts = np.unique(table.primary[alone][order], return_index=True)
        for z, group in zip(numbers.tolist(), np.split(alone[order], starts[1:]), strict=True):
            own[table.zone_ids[z]] += group.tolist()
    by_id = {z.id: z for z in tree_zones}
    outside: list[tuple[int, str]] = []
    for zid, ids in own.items():
        shape = by_id[zid].geometry_l72
        shapely.prepare(shape)
        # A point intersects a polygon exactly when the polygon covers it.
        inside = shapely.intersects_xy(shape, register.x[ids], register.y[ids])
        outside += [(a, zid) for a, hit in zip(ids, inside.tolist(), strict=True) if not hit]
    if outside:
        addresses = [a for a, _ in outside]
        points = shapely.points(register.x[addresses], register.y[addresses])
        hits = tree.query(points, predicate="covered_by")
        for k, j in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            a, zid = outside[k]
            other = tree_zones[j].id
            if other != zid:
                street = register.streets[int(register.street_of[a])].name
                elsewhere[(zid, street, other)] += 1
    for (zid, street, other), count in sorted(elsewhere.items()):
        problems.append(
            Problem(
                "street_outside_polygon",
                "warning",
                f"zone {zid!r}: {count} address(es) of listed street {street!r} lie in zone {other!r}'s polygon",
                (zid, other),
            )
        )
    return problems


def check_zone_set(zones: ZoneSet, boundary_l72: BaseGeometry | None = None) -> list[Problem]:
    """Run the checks that need only the zones (and the boundary when there is one)."""
    problems = check_geometry(zones)
    if any(p.severity == "error" for p in problems):
        return problems  # overlaps of broken or misplaced shapes mean nothing
    problems += check_overlaps(zones)
    if boundary_l72 is not None:
        problems += check_boundary(zones, boundary_l72)
    return problems


def recheck_zone_set(
    problems: list[Problem],
    before: ZoneSet,
    after: ZoneSet,
    changed: Collection[str],
    boundary_l72: BaseGeometry | None = None,
) -> list[Problem] | None:
    """Return `check_zone_set(after)` from the `problems` it gave `before`, checking changed zones only.

    None when that cannot be done (`before` had geometry errors, so its other checks never ran).
    Both sets must hold their common zones in the same order.
    """
    if any(p.code not in ("overlap", "outside_municipality") for p in problems):
        return None
    geometry = check_geometry(ZoneSet([z for z in after if z.id in changed]))
    if has_errors(geometry):
        return geometry
    # Validity is tested where needed only: an unchanged zone kept it, and the old `problems`
    # hold no overlap of a zone that check_overlaps left out as invalid.
    active = after.active()
    position = {z.id: i for i, z in enumerate(active)}
    overlaps = {
        p.zones: p
        for p in problems
        if p.code == "overlap"
        and not set(p.zones) & set(changed)
        and set(p.zones) <= position.keys()
    }
    mine = [z for z in active if z.id in changed and shapely.is_valid(z.geometry_l72)]
    if mine and len(active) > 1:
        tree = shapely.STRtree([z.geometry_l72 for z in active])
        left, right = tree.query([z.geometry_l72 for z in mine], predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            a, b = sorted((position[mine[i].id], j))
            if a == b or not shapely.is_valid(active[j].geometry_l72):
                continue
            if (p := _overlap(active[a], active[b])) is not None:
                overlaps[p.zones] = p
    out = sorted(overlaps.values(), key=lambda p: (position[p.zones[0]], position[p.zones[1]]))
    if boundary_l72 is not None:
        outside = {
            p.zones[0]: p
            for p in problems
            if p.code == "outside_municipality" and p.zones[0] not in changed
        }
        outside |= {p.zones[0]: p for p in check_boundary(after, boundary_l72, only=changed)}
        out += [outside[z.id] for z in after.active() if z.id in outside]
    return out


def has_errors(problems: list[Problem]) -> bool:
    """Tell whether any problem is an error."""
    return any(p.severity == "error" for p in problems)
