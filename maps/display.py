"""The zones as the map draws them: simplified in Lambert 72, rounded, and checked address by address.

A published map is small when its outlines are simplified and rounded, but a moved outline could put
a house in the neighbouring zone on screen. So the displayed outlines are checked against every
positioned register address: an address must be shown inside a zone that holds it exactly (on a
shared border, one of the two is enough), and never inside a zone that does not. A zone whose check
fails falls back to the next, finer level, down to its stored geometry, and the check runs again.

Simplification is Visvalingam-Whyatt over the whole coverage (``shapely.coverage_simplify``): shared
borders stay shared, so no gaps or slivers open between neighbours. Its tolerance, in metres, is
roughly the square root of the largest triangle area removed. Zones that do not form a valid
coverage are simplified one by one (Douglas-Peucker, topology preserved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.register import AddressRegister
from maps.geometry import label_point
from zones.schema import Zone, to_wgs84

# 10^-5 degree is about 1 m in Belgium, 10^-7 the precision zone files are stored with.
COARSE_DECIMALS = 5
FINE_DECIMALS = 6
STORED_DECIMALS = 7
DEFAULT_TOLERANCE_M = 10.0


@dataclass(frozen=True)
class Level:
    """One level of detail: a simplification tolerance (m, Lambert 72) and the WGS84 decimals kept."""

    tolerance_m: float
    decimals: int


@dataclass(frozen=True)
class DisplayZones:
    """The outlines the map draws (WGS84), the level each zone ended at, and what the check saw."""

    geometries: dict[str, BaseGeometry]
    levels: dict[str, Level]
    checked_addresses: int
    vertices: int
    exact_vertices: int
    unresolved: int = 0
    # Where each zone's name goes, computed once: every zone page draws its neighbours too.
    _labels: dict[str, list[float]] = field(default_factory=dict, compare=False, repr=False)

    def label(self, zone_id: str) -> list[float]:
        """Return the [lat, lon] of a zone's name label (well inside its largest part)."""
        if zone_id not in self._labels:
            self._labels[zone_id] = label_point(self.geometries[zone_id])
        return self._labels[zone_id]

    def refined(self) -> list[str]:
        """Return the ids of the zones that needed a finer level than the first."""
        first = max((level.tolerance_m for level in self.levels.values()), default=0.0)
        return [z for z, level in self.levels.items() if level.tolerance_m < first]


def levels_for(tolerance_m: float) -> list[Level]:
    """Return the levels tried, coarsest first; the last one is the stored geometry."""
    if tolerance_m <= 0:
        return [Level(0.0, STORED_DECIMALS)]
    return [
        Level(tolerance_m, COARSE_DECIMALS),
        Level(tolerance_m / 4, FINE_DECIMALS),
        Level(0.0, FINE_DECIMALS),
        Level(0.0, STORED_DECIMALS),
    ]


def display_zones(
    zones: Sequence[Zone],
    register: AddressRegister | None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> DisplayZones:
    """Simplify and round the zones for display, refining any zone that would move an address."""
    ladder = levels_for(tolerance_m)
    candidates = [_at_level(zones, level) for level in ladder]
    step = np.zeros(len(zones), dtype=np.int64)
    for z in range(len(zones)):
        # Rounding can fold a thin spike over itself; an invalid outline is not drawn reliably.
        while step[z] < len(ladder) - 1 and not candidates[step[z]][z].is_valid:
            step[z] += 1
    shown = [candidates[step[z]][z] for z in range(len(zones))]

    unresolved = 0
    checked = 0
    if register is not None and len(zones) and len(ladder) > 1:
        points = shapely.points(
            register.lon[register.positioned], register.lat[register.positioned]
        )
        checked = len(points)
        tree = shapely.STRtree(points)
        n = len(zones)
        every = np.arange(n, dtype=np.int64)
        exact = _keys(tree, [z.geometry for z in zones], every, n)
        current = _keys(tree, shown, every, n)
        while True:
            bad = _misplaced_zones(exact, current, n)
            stuck = bad[step[bad] >= len(ladder) - 1]
            bad = bad[step[bad] < len(ladder) - 1]
            if not len(bad):
                unresolved = len(stuck)
                break
            step[bad] += 1
            for z in bad.tolist():
                shown[z] = candidates[step[z]][z]
            # Re-test the refined zones only: drop their pairs, add those of their new outlines.
            added = _keys(tree, [shown[z] for z in bad.tolist()], bad, n)
            current = np.sort(np.concatenate([current[~np.isin(current % n, bad)], added]))

    return DisplayZones(
        geometries={z.id: g for z, g in zip(zones, shown, strict=True)},
        levels={z.id: ladder[int(s)] for z, s in zip(zones, step, strict=True)},
        checked_addresses=checked,
        vertices=int(shapely.get_num_coordinates(np.array(shown, dtype=object)).sum())
        if shown
        else 0,
        exact_vertices=int(
            shapely.get_num_coordinates(np.array([z.geometry for z in zones], dtype=object)).sum()
        )
        if zones
        else 0,
        unresolved=unresolved,
    )


def round_geometry(geometry: BaseGeometry, decimals: int) -> BaseGeometry:
    """Return `geometry` with its coordinates rounded (shared vertices stay shared)."""
    return shapely.transform(geometry, lambda c: np.round(c, decimals))


def _at_level(zones: Sequence[Zone], level: Level) -> list[BaseGeometry]:
    """Return every zone's outline at one level, in WGS84."""
    if level.tolerance_m <= 0:
        return [round_geometry(z.geometry, level.decimals) for z in zones]
    l72 = np.array([z.geometry_l72 for z in zones], dtype=object)
    if shapely.coverage_is_valid(l72):
        simplified = shapely.coverage_simplify(l72, level.tolerance_m)
    else:
        simplified = shapely.simplify(l72, level.tolerance_m, preserve_topology=True)
    return [round_geometry(to_wgs84(g), level.decimals) for g in simplified]


def _keys(
    tree: shapely.STRtree,
    geometries: Sequence[BaseGeometry],
    zone_numbers: npt.NDArray[np.int64],
    n: int,
) -> npt.NDArray[np.int64]:
    """Return the sorted keys ``point * n + zone`` of the points each outline covers."""
    if not geometries:
        return np.zeros(0, dtype=np.int64)
    # Querying the point tree with the outlines tests each (prepared) outline once.
    outline, point = tree.query(np.array(geometries, dtype=object), predicate="covers")
    return np.sort(point.astype(np.int64) * n + zone_numbers[outline])


def _sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the distinct values of a sorted array (cheaper than np.unique on millions)."""
    if not len(values):
        return values
    return values[np.r_[True, values[1:] != values[:-1]]]


def _misplaced_zones(
    exact: npt.NDArray[np.int64], shown: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """Return the zones to refine: shown around an address they do not hold, or losing one."""
    wrongly_shown = np.setdiff1d(shown, exact, assume_unique=True) % n
    held = _sorted_unique(exact // n)
    kept = _sorted_unique(np.intersect1d(shown, exact, assume_unique=True) // n)
    lost = np.setdiff1d(held, kept, assume_unique=True)
    shrunk = exact[np.isin(exact // n, lost)] % n
    return np.unique(np.concatenate([wrongly_shown, shrunk]))
