"""The municipalities and police zones of a dataset (``dataset.json``).

A dataset may hold several municipalities, e.g. every municipality of a police zone. Each has its
name (as the register writes it: registrations and staff accounts use that name), NIS code,
contact, rules text, join URL and member cap. A dataset without a ``municipalities`` list (the
shipped Alken data) is the special case of one municipality: the register's, with the dataset's
own cap and join URL.

Errors::

    UnknownMunicipalityError   a municipality or police zone the dataset does not hold
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import shapely
from pydantic import BaseModel, ConfigDict, Field

from geo.municipalities import current_name, find_municipality, police_zone_key
from geo.normalize import place_key
from zones.errors import InvalidError, ZoneError
from zones.rules import GroupRules, load_group_rules

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from geo.register import AddressRegister
    from zones.assign import AssignmentTable
    from zones.dataset import Dataset
    from zones.schema import ZoneSet
    from zones.storage import BoundaryPart

WHATSAPP_CAP = 1024  # members a WhatsApp group can hold


class UnknownMunicipalityError(ZoneError, InvalidError):
    """A municipality or police zone that the dataset does not hold; the message lists those it does."""

    code = "unknown_municipality"


class MunicipalityMeta(BaseModel):
    """One municipality of a dataset."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="as the register writes it")
    nis: str = Field(default="", max_length=5, description="NIS code (e.g. 73009)")
    postcodes: list[str] = Field(default_factory=list)
    contact: str | None = Field(default=None, max_length=300)
    contact_url: str | None = Field(default=None, max_length=300)
    rules: str | None = Field(
        default=None, max_length=200, description="rules text file, relative to the dataset"
    )
    rules_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="version of its own rules text (unset: the version reglement.json gives)",
    )
    join_url: str | None = None
    member_cap: int | None = Field(default=None, ge=1, le=WHATSAPP_CAP)


class PoliceZoneMeta(BaseModel):
    """A police zone: the municipalities whose applications its officers vet."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    code: str = Field(default="", max_length=20)
    municipalities: list[str] = Field(min_length=1)


class Municipalities:
    """The municipalities and police zones of a loaded dataset, found by name or NIS code."""

    def __init__(
        self,
        listed: Iterable[MunicipalityMeta],
        police_zones: Iterable[PoliceZoneMeta],
        register_names: Iterable[str],
        *,
        member_cap: int,
        join_url: str | None,
    ) -> None:
        self.items = list(listed)
        if not self.items:  # one municipality (or a few) named only by the register
            self.items = [
                MunicipalityMeta(name=n, nis=known.nis if (known := find_municipality(n)) else "")
                for n in sorted(set(register_names) - {""})
            ]
        self._default_cap, self._default_join = member_cap, join_url
        self.police_zones = list(police_zones)

    @property
    def names(self) -> list[str]:
        """Return the municipality names, as the register writes them."""
        return [m.name for m in self.items]

    def get(self, value: str) -> MunicipalityMeta | None:
        """Return the municipality with this name or NIS code (case and accents ignored).

        Its name since the 2025 mergers finds it too when only one held municipality merged into
        that one (``Tongeren-Borgloon`` finds Borgloon in a 2024 dataset).
        """
        key = place_key(value)
        for m in self.items:
            if value.strip() == m.nis or place_key(m.name) == key:
                return m
        merged = [m for m in self.items if place_key(current_name(m.name) or "") == key]
        return merged[0] if len(merged) == 1 else None

    def find(self, value: str) -> MunicipalityMeta:
        """Return a municipality by name or NIS code, or raise naming those the dataset holds."""
        found = self.get(value)
        if found is None:
            raise UnknownMunicipalityError(
                f"this dataset holds no municipality {value.strip()!r}; it holds: "
                f"{', '.join(self.names) or 'none'}"
            )
        return found

    def police_zone(self, value: str) -> PoliceZoneMeta:
        """Return a police zone by name (``PZ`` optional) or code, or raise naming those held."""
        key = police_zone_key(value)
        for zone in self.police_zones:
            if police_zone_key(zone.name) == key or (zone.code and zone.code == value.strip()):
                return zone
        held = ", ".join(z.name for z in self.police_zones) or "none"
        raise UnknownMunicipalityError(
            f"this dataset holds no police zone {value.strip()!r}; it holds: {held}"
        )

    def member_cap(self, municipality: str | None) -> int:
        """Return the member cap of a municipality's groups (the dataset's when it sets none)."""
        m = self.get(municipality) if municipality else None
        return m.member_cap if m is not None and m.member_cap is not None else self._default_cap

    def contact(
        self, municipality: str | None, default: tuple[str | None, str | None]
    ) -> tuple[str | None, str | None]:
        """Return a municipality's contact and contact URL, or `default` (the dataset's).

        A pair: a municipality that sets either has both its own (an e-loket alone keeps the
        text empty), so that the words and the link never name two different desks.
        """
        m = self.get(municipality) if municipality else None
        if m is not None and (m.contact or m.contact_url):
            return m.contact, m.contact_url
        return default

    def join_url(self, municipality: str | None) -> str | None:
        """Return where residents of a municipality join (the dataset's when it sets none)."""
        m = self.get(municipality) if municipality else None
        return m.join_url if m is not None and m.join_url else self._default_join


def zone_municipalities(
    zones: ZoneSet, register: AddressRegister, table: AssignmentTable
) -> dict[str, str | None]:
    """Return the municipality of each zone: a ``municipality`` property, else most of its addresses.

    A zone without addresses and without the property belongs to none (None).
    """
    import numpy as np

    names = sorted({s.municipality for s in register.streets})
    if not names or not table.zone_ids:
        given_only = {z.id: (z.props.model_extra or {}).get("municipality") for z in zones}
        return {k: str(v) if v else None for k, v in given_only.items()}
    code = {n: i for i, n in enumerate(names)}
    of_street = np.array([code[s.municipality] for s in register.streets], dtype=np.int64)
    zoned = table.primary >= 0
    zone_of = table.primary[zoned].astype(np.int64)
    municipality_of = of_street[register.street_of[zoned]]
    # One count per (zone, municipality): a vectorised majority over every address.
    counts = np.bincount(
        zone_of * len(names) + municipality_of, minlength=len(table.zone_ids) * len(names)
    ).reshape(len(table.zone_ids), max(len(names), 1))
    out: dict[str, str | None] = {}
    for zone in zones:
        given = (zone.props.model_extra or {}).get("municipality")
        z = table.number.get(zone.id)
        if given:
            out[zone.id] = str(given)
        elif z is not None and counts[z].any():
            out[zone.id] = names[int(counts[z].argmax())]
        else:
            out[zone.id] = None
    return out


def zone_municipality(dataset: Dataset, zone_id: str) -> str | None:
    """Return the municipality of a zone of a loaded dataset (computed once per zone set)."""
    owners = dataset.derived.get("zone_municipalities")
    if owners is None:
        owners = zone_municipalities(dataset.zones, dataset.register, dataset.table)
        dataset.derived["zone_municipalities"] = owners
    found: str | None = owners.get(zone_id)
    return found


def zone_member_cap(dataset: Dataset, zone_id: str) -> int:
    """Return the member cap of a zone's group: its municipality's, else the dataset's."""
    return dataset.municipalities.member_cap(zone_municipality(dataset, zone_id))


def municipality_boundary(dataset: Dataset, municipality: str) -> BaseGeometry | None:
    """Return the part of the dataset's boundary that is `municipality` (WGS84; None: no boundary).

    Found by the municipality's NIS code, else its name; the whole boundary where the file has no
    such part (one municipality, or parts without names). Read once per register side.
    """
    from zones.storage import load_boundary_parts

    if dataset.boundary is None:
        return None
    parts: list[BoundaryPart] | None = dataset.base.derived.get("boundary_parts")
    if parts is None:
        path = dataset.paths.boundary
        parts = load_boundary_parts(path) if path.is_file() else []
        dataset.base.derived["boundary_parts"] = parts
    held = dataset.municipalities.get(municipality)
    nis = held.nis if held is not None else ""
    key = place_key(held.name if held is not None else municipality)
    own = [p.geometry for p in parts if (nis and p.nis == nis) or place_key(p.name) == key]
    if not own:
        return dataset.boundary
    return own[0] if len(own) == 1 else shapely.union_all(own)


def municipality_rules(dataset: Dataset, municipality: str | None) -> GroupRules:
    """Return the texts a resident of `municipality` accepts: its own rules where it has them.

    None, or a municipality the dataset does not list: the dataset's rules. RulesMissingError
    when the dataset has none (registration is off).
    """
    m = dataset.municipalities.get(municipality) if municipality else None
    if m is None or not m.rules:
        return load_group_rules(dataset.paths.root)
    return load_group_rules(dataset.paths.root, m.rules, m.rules_version)
