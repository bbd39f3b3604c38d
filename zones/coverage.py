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
import numpy.typing as npt
import shapely
from pydantic import BaseModel, Field

from geo.crs import LonLat, to_lambert72
from geo.register import AddressRegister
from zones.dataset import Dataset

# A street whose missing numbers need more pieces than this is summarised after them.
MAX_PIECES = 12
_CACHE_KEY = "coverage"
_ORDER_KEY = "street_order"


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


class StreetOrder:
    """Every register address in the order of its street: by street, number, then suffix.

    Built once per register from its per-street slices (already ordered by house-number key), so a
    publish of thousands of zones never sorts house numbers street by street again.
    """

    def __init__(self, register: AddressRegister) -> None:
        """Order the register's addresses by street, house number and suffix."""
        n = len(register.streets)
        by_key = (
            np.concatenate([register.on_street_array(s) for s in range(n)])
            if n
            else np.zeros(0, dtype=np.int64)
        )
        # lexsort is stable: within one number the register's key order (30 < 30a < 30b) stays.
        self.ids = by_key[np.lexsort((register.numbers[by_key], register.street_of[by_key]))]
        self.starts = np.searchsorted(register.street_of[self.ids], np.arange(n + 1))

    def street(self, street_id: int) -> npt.NDArray[np.int64]:
        """Return the ids of a street's addresses in house-number order."""
        return self.ids[self.starts[street_id] : self.starts[street_id + 1]]


def street_order(dataset: Dataset) -> StreetOrder:
    """Return the register in street order, built once per loaded dataset."""
    cached = dataset.derived.get(_ORDER_KEY)
    if isinstance(cached, StreetOrder):
        return cached
    order = StreetOrder(dataset.register)
    dataset.derived[_ORDER_KEY] = order
    return order


def uncovered_streets(dataset: Dataset) -> list[StreetNumbers]:
    """Return the streets with addresses in no zone, with those house numbers, by street name."""
    register, order = dataset.register, street_order(dataset)
    outside = dataset.table.primary < 0
    out = []
    for sid in np.unique(register.street_of[outside]).tolist():
        ids = order.street(sid).tolist()
        out.append(_street_numbers(register, sid, ids, {a for a in ids if outside[a]}))
    return sorted(out, key=lambda s: (s.street, s.postcode))


def zone_streets(dataset: Dataset) -> dict[str, list[StreetNumbers]]:
    """Return, per active zone id, its streets with the house numbers the zone holds."""
    register, table, order = dataset.register, dataset.table, street_order(dataset)
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
            ids = order.street(sid).tolist()
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


def street_parts(dataset: Dataset, street_id: int) -> list[tuple[tuple[str, ...], str]]:
    """Return a street's parts by zone: (zone ids, their house numbers as ``1-28 (even)``).

    In the order the parts start along the street; one part for a street wholly in one zone set.
    """
    register, table = dataset.register, dataset.table
    ids = street_order(dataset).street(street_id).tolist()
    zones = [table.zones_of(a) for a in ids]
    labels = [register.housenumbers[a] for a in ids]
    numbers = register.numbers[ids].tolist() if ids else []
    return [
        (zone_set, describe_numbers(labels, numbers, [z == zone_set for z in zones]))
        for zone_set in dict.fromkeys(zones)
    ]


def street_numbers(dataset: Dataset, street_id: int) -> str:
    """Return all house numbers of a street compactly, as the group list writes them."""
    ids = street_order(dataset).street(street_id).tolist()
    labels = [dataset.register.housenumbers[a] for a in ids]
    numbers = dataset.register.numbers[ids].tolist() if ids else []
    return describe_numbers(labels, numbers, [True] * len(ids))


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
            [register.housenumbers[a] for a in ids], register.numbers[ids].tolist(), flags
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
