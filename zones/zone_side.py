"""The zone side of a dataset: one zone set, its street rules, assignment table and spatial index.

Built on a `RegisterSide` that it shares with every other generation. A new zone side made from an
old one (`ZoneSide.changed_to`) recomputes only the addresses the changed zones can affect (see
`zones.delta`); its table equals the one a full assignment gives.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.municipalities import with_merged_names
from geo.places import PlaceIndex
from geo.spatial import PolygonIndex
from zones.assign import (
    NEAR_DISTANCE_M,
    AssignmentTable,
    RuleConflict,
    ZoneRules,
    assign,
    reassign,
    zone_index,
)
from zones.delta import affected_rows, changed_zones
from zones.errors import ZoneValidationError
from zones.register_side import RegisterSide
from zones.schema import ZoneSet
from zones.validate import (
    Problem,
    check_streets,
    check_zone_set,
    has_errors,
    recheck_zone_set,
)


class ZoneSide:
    """A zone set indexed against a register side."""

    def __init__(
        self,
        base: RegisterSide,
        zones: ZoneSet,
        rules: ZoneRules,
        table: AssignmentTable,
        conflicts: list[RuleConflict],
        index: PolygonIndex,
        zone_problems: list[Problem],
        problems: list[Problem],
        changed_rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.base = base
        self.zones = zones
        self.rules = rules
        self.table = table
        self.conflicts = conflicts
        self.index = index
        # What the zones alone give (geometry, overlaps, boundary): a delta rechecks changed zones.
        self.zone_problems = zone_problems
        self.problems = problems
        # Made from another side (`changed_to`): the only addresses whose zones can differ from
        # that side's. None when built whole.
        self.changed_rows = changed_rows
        # Expensive things derived on demand (e.g. coverage), kept for reuse.
        self.derived: dict[str, Any] = {}

    @classmethod
    def build(
        cls,
        base: RegisterSide,
        zones: ZoneSet,
        *,
        strict: bool = True,
        table: AssignmentTable | None = None,
        zone_problems: list[Problem] | None = None,
    ) -> ZoneSide:
        """Assign every address to `zones` (or take a cached `table`); with `strict`, refuse errors.

        `zone_problems`: what `check_zone_set` found in `zones` with the base's boundary, when
        the caller has checked them already.
        """
        problems = _zone_problems(zones, base, strict, zone_problems)
        register = base.register
        rules = ZoneRules.resolve(zones, register, base.by_name)
        index = zone_index(zones)
        if table is None:
            table, conflicts = assign(zones, register, rules=rules, index=index)
        else:
            conflicts = [
                RuleConflict(a, tuple(z))
                for a, z in sorted(rules.claims(register).items())
                if len(z) > 1
            ]
        return cls._checked(base, zones, rules, table, conflicts, index, problems, strict)

    def changed_to(self, zones: ZoneSet, *, strict: bool = False) -> ZoneSide:
        """Return the zone side of `zones`, recomputing only what the change can affect."""
        changed = changed_zones(self.zones, zones)
        if changed is None:
            return ZoneSide.build(self.base, zones, strict=strict)
        problems = recheck_zone_set(
            self.zone_problems, self.zones, zones, changed, self.base.boundary_l72
        )
        if problems is None:
            problems = check_zone_set(zones, self.base.boundary_l72)
        if strict and has_errors(problems):
            raise ZoneValidationError([p for p in problems if p.severity == "error"])
        register = self.base.register
        unchanged = {z.id for z in zones} - changed
        rules = ZoneRules.resolve(zones, register, self.base.by_name, self.rules, unchanged)
        index = zone_index(zones)
        rows = affected_rows(
            register,
            self.base.grid,
            self.zones,
            zones,
            self.rules,
            rules,
            changed,
            NEAR_DISTANCE_M,
        )
        table, conflicts = reassign(self.table, self.conflicts, zones, rules, index, register, rows)
        side = ZoneSide._checked(self.base, zones, rules, table, conflicts, index, problems, strict)
        side.changed_rows = rows
        return side

    @classmethod
    def _checked(
        cls,
        base: RegisterSide,
        zones: ZoneSet,
        rules: ZoneRules,
        table: AssignmentTable,
        conflicts: list[RuleConflict],
        index: PolygonIndex,
        zone_problems: list[Problem],
        strict: bool,
    ) -> ZoneSide:
        streets = check_streets(zones, base.register, table, conflicts, names=base.by_name)
        problems = [*zone_problems, *streets]
        if strict and has_errors(problems):
            raise ZoneValidationError([p for p in problems if p.severity == "error"])
        return cls(base, zones, rules, table, conflicts, index, zone_problems, problems)

    @cached_property
    def places(self) -> PlaceIndex:
        """Return the place index: the register side's places plus the zones' area names."""
        areas = with_merged_names(_area_places(self.zones, self.base, self.table))
        return PlaceIndex([*self.base.place_pairs, *areas]) if areas else self.base.places


def _zone_problems(
    zones: ZoneSet, base: RegisterSide, strict: bool, checked: list[Problem] | None = None
) -> list[Problem]:
    """Check the zones alone (geometry, overlaps, boundary); with `strict`, refuse errors early."""
    problems = checked if checked is not None else check_zone_set(zones, base.boundary_l72)
    if strict and has_errors(problems):
        raise ZoneValidationError([p for p in problems if p.severity == "error"])
    return problems


def _area_places(
    zones: ZoneSet, base: RegisterSide, table: AssignmentTable
) -> list[tuple[str, str]]:
    """Return (postcode, area name) pairs so that hamlets and wijken ("Sint-Joris") count as places.

    bpost's list lacks many hamlets, and some share a name with a place elsewhere in Flanders;
    a zone's area names the part of this dataset's postcodes where its addresses are.
    """
    register = base.register
    pairs = []
    for z, zone_id in enumerate(table.zone_ids):
        area = zones.get(zone_id).props.area
        if not area:
            continue
        streets = np.unique(register.street_of[table.primary == z])
        pairs += [
            (postcode, area)
            for postcode in sorted({register.streets[s].postcode for s in streets.tolist()})
        ]
    return pairs
