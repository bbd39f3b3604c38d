"""Coverage for the municipality: what the zones hold of the register, and what they miss.

Counts only, never a resident: the share of register addresses in a zone, the addresses per zone
against the member cap of a WhatsApp group, the streets (with their house numbers, compactly:
``Grootstraat 1-265``) that lie in no zone, and the infoborden that stand outside their own zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

import numpy as np
import shapely
from pydantic import BaseModel, Field

from geo.crs import LonLat, to_lambert72
from geo.housenumber import number_key
from geo.register import AddressRegister
from zones.dataset import Dataset

# A street whose missing numbers need more pieces than this is summarised after them.
MAX_PIECES = 12
_CACHE_KEY = "coverage"


class ZoneCoverage(BaseModel):
    """The register addresses of one active zone against the member cap."""

    id: str
    name: str
    addresses: int = Field(
        description="register addresses in the zone (shared-border ones count in each)"
    )
    share_of_cap: float = Field(description="addresses / member cap")
    over_cap: bool = Field(description="more addresses than a WhatsApp group can hold members")


class StreetNumbers(BaseModel):
    """House numbers of one street, compactly (``1-265``, ``2-40 (even), 7``)."""

    street: str
    postcode: str
    municipality: str
    addresses: int
    numbers: str
    whole_street: bool

    def describe(self) -> str:
        """Return the Dutch one-liner: ``Grootstraat 1-265 (hele straat)``."""
        whole = " (hele straat)" if self.whole_street else ""
        return f"{self.street} {self.numbers}{whole}".strip()


class InfobordOutside(BaseModel):
    """An infobord that does not stand in the zone it belongs to."""

    id: str
    label: str
    zone_id: str
    zone_name: str | None
    reason: Literal["outside", "unknown_zone", "inactive_zone"]
    distance_m: float | None = Field(description="metres from the board to its zone (outside only)")


class Coverage(BaseModel):
    """Coverage of the register by the active zones of a dataset (counts only)."""

    dataset: str
    addresses: int
    in_zone: int
    share_in_zone: float
    member_cap: int
    zones: list[ZoneCoverage]
    uncovered_streets: list[StreetNumbers]
    infoborden_outside: list[InfobordOutside]


def coverage(dataset: Dataset) -> Coverage:
    """Return the coverage of a dataset, computed once per loaded dataset."""
    cached = dataset.derived.get(_CACHE_KEY)
    if isinstance(cached, Coverage):
        return cached
    result = _coverage(dataset)
    dataset.derived[_CACHE_KEY] = result
    return result


def _coverage(dataset: Dataset) -> Coverage:
    register, table, cap = dataset.register, dataset.table, dataset.meta.member_cap
    counts = table.counts()
    in_zone = int(np.count_nonzero(table.primary >= 0))
    total = len(register)
    zones = [
        ZoneCoverage(
            id=z.id,
            name=z.name,
            addresses=counts[z.id],
            share_of_cap=counts[z.id] / cap,
            over_cap=counts[z.id] > cap,
        )
        for z in dataset.zones.active()
    ]
    return Coverage(
        dataset=dataset.meta.name,
        addresses=total,
        in_zone=in_zone,
        share_in_zone=in_zone / total if total else 0.0,
        member_cap=cap,
        zones=zones,
        uncovered_streets=uncovered_streets(dataset),
        infoborden_outside=infoborden_outside(dataset),
    )


def uncovered_streets(dataset: Dataset) -> list[StreetNumbers]:
    """Return the streets with addresses in no zone, with those house numbers, by street name."""
    register = dataset.register
    outside = dataset.table.primary < 0
    out = []
    for sid in np.unique(register.street_of[outside]).tolist():
        ids = _by_number(register, register.on_street(sid))
        out.append(_street_numbers(register, sid, ids, {a for a in ids if outside[a]}))
    return sorted(out, key=lambda s: (s.street, s.postcode))


def zone_streets(dataset: Dataset) -> dict[str, list[StreetNumbers]]:
    """Return, per active zone id, its streets with the house numbers the zone holds."""
    register, table = dataset.register, dataset.table
    members: dict[tuple[int, int], set[int]] = defaultdict(set)
    inside = np.flatnonzero(table.primary >= 0)
    for a, z, s in zip(
        inside.tolist(),
        table.primary[inside].tolist(),
        register.street_of[inside].tolist(),
        strict=True,
    ):
        members[(z, s)].add(a)
    for a, zs in table.extra.items():  # shared-border addresses: in every zone they touch
        for z in zs:
            members[(z, int(register.street_of[a]))].add(a)
    out: dict[str, list[StreetNumbers]] = {z.id: [] for z in dataset.zones.active()}
    for (z, sid), chosen in members.items():
        zone_id = table.zone_ids[z]
        if zone_id in out:
            ids = _by_number(register, register.on_street(sid))
            out[zone_id].append(_street_numbers(register, sid, ids, chosen))
    for streets in out.values():
        streets.sort(key=lambda s: (s.street, s.postcode))
    return out


def infoborden_outside(dataset: Dataset) -> list[InfobordOutside]:
    """Return the infoborden outside their zone, or whose zone is unknown or not active."""
    out = []
    for board in dataset.infoborden:
        props = board.properties
        lon, lat = board.geometry.coordinates[0], board.geometry.coordinates[1]
        label = props.label or f"Infobord {props.zone_id}"
        if props.zone_id not in dataset.zones:
            out.append(_board(props.id, label, props.zone_id, None, "unknown_zone", None))
            continue
        zone = dataset.zones.get(props.zone_id)
        if zone.props.status != "active":
            out.append(_board(props.id, label, zone.id, zone.name, "inactive_zone", None))
            continue
        xy = to_lambert72(LonLat(lon, lat))
        point = shapely.Point(xy.x, xy.y)
        if not zone.geometry_l72.covers(point):
            distance = round(float(zone.geometry_l72.distance(point)), 1)
            out.append(_board(props.id, label, zone.id, zone.name, "outside", distance))
    return out


def describe_numbers(labels: Sequence[str], numbers: Sequence[int], chosen: Sequence[bool]) -> str:
    """Describe the chosen house numbers of a street compactly: ``1-265`` or ``1-99 (oneven); 4 (even)``.

    `labels`, `numbers` (numeric part, -1 for none) and `chosen` describe the street's addresses in
    house-number order. A piece is a stretch of chosen addresses with no unchosen one between; per
    side of the street when that takes fewer pieces.
    """
    both = [_pieces(labels, chosen, range(len(labels)))]
    sides = [
        _pieces(labels, chosen, [i for i, n in enumerate(numbers) if n >= 0 and n % 2]),
        _pieces(labels, chosen, [i for i, n in enumerate(numbers) if n >= 0 and not n % 2]),
        _pieces(labels, chosen, [i for i, n in enumerate(numbers) if n < 0]),
    ]
    if sum(map(len, both)) <= sum(map(len, sides)):
        return _joined(both[0])
    texts = [
        _joined(pieces) + suffix
        for pieces, suffix in zip(sides, (" (oneven)", " (even)", ""), strict=True)
        if pieces
    ]
    return "; ".join(texts)


def _joined(pieces: list[str]) -> str:
    if len(pieces) <= MAX_PIECES:
        return ", ".join(pieces)
    rest = len(pieces) - MAX_PIECES
    return (
        ", ".join(pieces[:MAX_PIECES]) + f" en nog {rest} " + ("reeks" if rest == 1 else "reeksen")
    )


def _pieces(labels: Sequence[str], chosen: Sequence[bool], order: Sequence[int]) -> list[str]:
    pieces: list[str] = []
    start: int | None = None
    last: int | None = None
    for i in [*order, None]:
        if i is not None and chosen[i]:
            start = i if start is None else start
            last = i
            continue
        if start is not None and last is not None:
            pieces.append(labels[start] if start == last else f"{labels[start]}-{labels[last]}")
        start = last = None
    return pieces


def _by_number(register: AddressRegister, ids: list[int]) -> list[int]:
    """Return address ids in the order of the street: by number, then suffix."""
    return sorted(
        ids, key=lambda a: (int(register.numbers[a]), number_key(register.housenumbers[a]))
    )


def _street_numbers(
    register: AddressRegister, sid: int, ids: list[int], chosen: set[int]
) -> StreetNumbers:
    street = register.streets[sid]
    flags = [a in chosen for a in ids]
    return StreetNumbers(
        street=street.name,
        postcode=street.postcode,
        municipality=street.municipality,
        addresses=sum(flags),
        numbers=describe_numbers(
            [register.housenumbers[a] for a in ids], [int(register.numbers[a]) for a in ids], flags
        ),
        whole_street=all(flags),
    )


def _board(
    board_id: str,
    label: str,
    zone_id: str,
    zone_name: str | None,
    reason: Literal["outside", "unknown_zone", "inactive_zone"],
    distance: float | None,
) -> InfobordOutside:
    return InfobordOutside(
        id=board_id,
        label=label,
        zone_id=zone_id,
        zone_name=zone_name,
        reason=reason,
        distance_m=distance,
    )
