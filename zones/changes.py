"""What a change of zones does to addresses: who moves from which group to which, in words.

Used by proposal reports and by the diff between two generations. Texts are Dutch, for the
municipality and coordinators ("verplaatst Kerkstraat 1-35 (oneven), 18 adressen, van WABP Terkoest
naar WABP Sint-Joris").
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from geo.register import AddressRegister
from zones.assign import AssignmentTable
from zones.schema import ZoneSet


class Move(BaseModel):
    """Addresses of one street that change group in the same way."""

    street: str
    postcode: str
    from_zone: str | None
    to_zone: str | None
    numbers: list[str]
    count: int
    text: str


def describe_numbers(numbers: list[int]) -> str:
    """Describe a set of house numbers compactly: ``7``, ``1-35 (oneven)``, ``2-40 (even)``, ``1-40``."""
    if not numbers:
        return ""
    lo, hi = min(numbers), max(numbers)
    if lo == hi:
        return str(lo)
    if all(n % 2 for n in numbers):
        return f"{lo}-{hi} (oneven)"
    if not any(n % 2 for n in numbers):
        return f"{lo}-{hi} (even)"
    return f"{lo}-{hi}"


def _name(zones_by_id: dict[str, str], zone_id: str | None) -> str:
    return zones_by_id.get(zone_id, zone_id) if zone_id else "geen groep"


def moves(
    register: AddressRegister,
    before: AssignmentTable,
    after: AssignmentTable,
    zones_before: ZoneSet,
    zones_after: ZoneSet,
    rows: npt.NDArray[np.int64] | None = None,
) -> list[Move]:
    """Return the addresses whose group changes, grouped by street and direction.

    `rows`: the only addresses that can differ between the tables (the delta's), when known.
    """
    names = {z.id: z.name for z in zones_before} | {z.id: z.name for z in zones_after}
    # Both tables' zone numbers in one numbering (the extra last -1 serves "no zone").
    number = {z: i for i, z in enumerate(dict.fromkeys([*before.zone_ids, *after.zone_ids]))}
    was_number = np.array([number[z] for z in before.zone_ids] + [-1])
    now_number = np.array([number[z] for z in after.zone_ids] + [-1])
    if rows is None:
        was, now = was_number[before.primary], now_number[after.primary]
        changed = np.flatnonzero(was != now).tolist()
        changed = sorted(set(changed) | set(before.extra) | set(after.extra))
    else:
        was, now = was_number[before.primary[rows]], now_number[after.primary[rows]]
        several = [a for a in rows.tolist() if a in before.extra or a in after.extra]
        changed = sorted(set(rows[was != now].tolist()) | set(several))
    groups: dict[tuple[int, str | None, str | None], list[int]] = defaultdict(list)
    for a in changed:
        old, new = before.zones_of(a), after.zones_of(a)
        if old == new:
            continue
        groups[
            (int(register.street_of[a]), old[0] if old else None, new[0] if new else None)
        ].append(a)
    out = []
    for (sid, old_zone, new_zone), ids in sorted(
        groups.items(),
        key=lambda kv: (register.streets[kv[0][0]].name, kv[0][1] or "", kv[0][2] or ""),
    ):
        street = register.streets[sid]
        ids.sort(key=lambda a: (register.numbers[a], register.housenumbers[a]))
        nums = [int(register.numbers[a]) for a in ids if register.numbers[a] >= 0]
        count = len(ids)
        noun = "adres" if count == 1 else "adressen"
        text = (
            f"verplaatst {street.name} {describe_numbers(nums)}, {count} {noun}, "
            f"van {_name(names, old_zone)} naar {_name(names, new_zone)}"
        )
        out.append(
            Move(
                street=street.name,
                postcode=street.postcode,
                from_zone=old_zone,
                to_zone=new_zone,
                numbers=[register.housenumbers[a] for a in ids],
                count=count,
                text=text,
            )
        )
    return out


class ZoneChange(BaseModel):
    """How one zone differs between two zone sets."""

    zone_id: str
    name: str
    change: str  # added | removed | geometry | properties | geometry+properties
    area_before_m2: float | None
    area_after_m2: float | None


def zone_changes(before: ZoneSet, after: ZoneSet) -> list[ZoneChange]:
    """Return the zones added, removed or changed between two zone sets."""
    out = []
    ids = [z.id for z in before] + [z.id for z in after if z.id not in before]
    for zone_id in ids:
        old = before.get(zone_id) if zone_id in before else None
        new = after.get(zone_id) if zone_id in after else None
        if old is None and new is not None:
            change = "added"
        elif new is None and old is not None:
            change = "removed"
        else:
            assert old is not None and new is not None
            moved = old.geometry_l72.symmetric_difference(new.geometry_l72).area > 1.0
            props = old.props.model_dump(exclude={"valid_from"}) != new.props.model_dump(
                exclude={"valid_from"}
            )
            if not (moved or props):
                continue
            change = "+".join(c for c, flag in (("geometry", moved), ("properties", props)) if flag)
        out.append(
            ZoneChange(
                zone_id=zone_id,
                name=(new or old).name,  # type: ignore[union-attr]
                change=change,
                area_before_m2=round(old.geometry_l72.area, 1) if old else None,
                area_after_m2=round(new.geometry_l72.area, 1) if new else None,
            )
        )
    return out
