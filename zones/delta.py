"""What a change of the zone set can affect: the changed zones and the addresses to recompute.

A proposal or an approval changes a few zones of thousands. An address's zones depend on the
polygons that cover it or lie within the near distance, and on the street rules that name its
street; so only addresses within reach of where an old and a new shape differ, and those on the
streets an old or a new rule names, can change. Addresses without a position follow their
positioned neighbours on the street, so theirs are recomputed with any street that is touched.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from geo.register import AddressRegister
from geo.spatial import PointGrid
from zones.assign import ZoneRules
from zones.schema import Zone, ZoneSet

# Beyond the near distance: a point exactly at it must not be lost to rounding of the difference.
REACH_MARGIN_M = 1.0


def _same(a: Zone, b: Zone) -> bool:
    if a is b:
        return True
    if a.props != b.props:
        return False
    return a.geometry_l72 is b.geometry_l72 or bool(
        shapely.equals_exact(a.geometry, b.geometry, tolerance=0.0)
    )


def changed_zones(before: ZoneSet, after: ZoneSet) -> set[str] | None:
    """Return the ids of the zones added, removed or changed in any way.

    None when the zones both sets hold are not in the same order: zone numbers (which decide the
    first zone of an address on a shared border) would then change everywhere.
    """
    ids_before = [z.id for z in before]
    ids_after = [z.id for z in after]
    if ids_before == ids_after:  # the usual change: same zones, same order, a few of them new
        return {z.id for z, old in zip(after.zones, before.zones, strict=True) if not _same(old, z)}
    common_before = [i for i in ids_before if i in after]
    common_after = [i for i in ids_after if i in before]
    if common_before != common_after:
        return None
    changed = {i for i in ids_before if i not in after} | {i for i in ids_after if i not in before}
    changed |= {zid for zid in common_after if not _same(before.get(zid), after.get(zid))}
    return changed


def _active_shape(zones: ZoneSet, zone_id: str) -> BaseGeometry | None:
    if zone_id not in zones:
        return None
    zone = zones.get(zone_id)
    return zone.geometry_l72 if zone.props.status == "active" else None


def _difference(old: BaseGeometry | None, new: BaseGeometry | None) -> BaseGeometry | None:
    """Return where two shapes differ (None when they do not)."""
    if old is None or new is None:
        return old if new is None else new
    if old is new:
        return None
    try:
        diff = shapely.symmetric_difference(old, new)
    except GEOSException:  # an invalid shape: both whole shapes are then "where they differ"
        diff = shapely.union(shapely.envelope(old), shapely.envelope(new))
    return None if diff.is_empty else diff


def affected_rows(
    register: AddressRegister,
    grid: PointGrid,
    before: ZoneSet,
    after: ZoneSet,
    rules_before: ZoneRules,
    rules_after: ZoneRules,
    changed: set[str],
    near_distance: float,
) -> npt.NDArray[np.int64]:
    """Return the ids of every address whose zones the change from `before` to `after` can affect."""
    reach = near_distance + REACH_MARGIN_M
    parts: list[npt.NDArray[np.int64]] = []
    streets: set[int] = set()
    for zone_id in sorted(changed):
        streets |= rules_before.streets_of(zone_id) | rules_after.streets_of(zone_id)
        diff = _difference(_active_shape(before, zone_id), _active_shape(after, zone_id))
        if diff is None:
            continue
        xmin, ymin, xmax, ymax = diff.bounds
        near = grid.in_box(xmin - reach, ymin - reach, xmax + reach, ymax + reach)
        if len(near):
            # Prepared: thousands of points in the box of a zone's changed edge are tested.
            shapely.prepare(diff)
            points = shapely.points(register.x[near], register.y[near])
            parts.append(near[shapely.dwithin(diff, points, reach)])
    parts += [register.on_street_array(s) for s in sorted(streets)]
    rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    # Unpositioned addresses take the zone of their positioned neighbours on the street.
    touched = np.unique(register.street_of[rows]).tolist()
    unpositioned = [
        ids[~register.positioned[ids]] for ids in map(register.on_street_array, touched)
    ]
    if unpositioned:
        rows = np.union1d(rows, np.concatenate(unpositioned))
    return rows.astype(np.int64)
