"""What geocoding a typed address answers: which street, which register addresses, where, how sure.

`geo.geocoder` fills these in; `zones.lookup` reads them to give the zone answer. Notices are codes
with their values (``street_corrected`` with ``street``), never text: the Dutch wording belongs to
whoever shows them (``zones.messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, computed_field

from geo.municipalities import display_name
from geo.parse import ParsedAddress
from geo.positions import Position

GeocodeStatus = Literal[
    "found",  # the typed number (or street) is in the register: `addresses`
    "unknown_number",  # the street is known, the register lacks the number: one estimated address
    "street",  # a street without a house number: the street, at its centre
    "ambiguous",  # several streets may be meant: `candidates`
    "not_found",  # no street matched
    "outside",  # the postcode or place typed lies outside the register: `postcode`
    "no_street",  # nothing like a street name was typed
]
NoticeCode = Literal[
    "street_corrected",  # a typo was corrected to `street`
    "place_ignored",  # the place `place` is unknown: the whole register was searched
    "place_mismatch",  # the street exists, but not in the place typed
    "place_chosen",  # one name in several places; only `place` has house number `number`
    "housenumber_range",  # a range was typed: number `number` was used
    "box_unverified",  # the register has no boxes on this street: box `box` is not checked
    "housenumber_missing",  # no house number was typed
    "housenumber_not_found",  # number `number` is not in the register
    "approximate_position",  # the register has no position for this address: it is estimated
]


class CanonicalAddress(BaseModel):
    """An address as the register writes it."""

    street: str
    housenumber: str | None = None
    box: str | None = None
    postcode: str
    municipality: str

    @computed_field(  # type: ignore[prop-decorator]
        description="the municipality as residents read it since the 2025 mergers: the current "
        "name, the former one in brackets (Tongeren-Borgloon (Borgloon))"
    )
    @property
    def municipality_label(self) -> str:
        """Return the municipality with its current and, where it helps, its former name."""
        return display_name(self.municipality, self.postcode)


@dataclass(frozen=True)
class AddressNotice:
    """Something to tell about a typed address: a stable code and the values its text needs."""

    code: NoticeCode
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GeocodedAddress:
    """One address (or street) the query may mean: how the register writes it, and where it is.

    `id` is the register address; None when the register lacks the typed number (the position is
    then estimated) or when no number was typed (the street, at its centre).
    """

    address: CanonicalAddress
    position: Position
    id: int | None = None
    notices: tuple[AddressNotice, ...] = ()


@dataclass(frozen=True)
class Geocode:
    """The register's answer to one typed address.

    - ``found``: `addresses` holds the register addresses of the typed number on `street_id`
      (several when one house number has several terrain objects);
    - ``unknown_number``: `addresses` holds the typed address on `street_id`, its position estimated
      from the neighbours (see `Geocoder.neighbours`), with a ``housenumber_not_found`` notice;
    - ``street``: `addresses` holds the street `street_id` at its centre (no number typed);
    - ``ambiguous``: `candidates` holds one address per street that may be meant, those with the
      typed number first (a street without it is at its centre, `id` None);
    - ``outside``: `postcode` is outside the register;
    - ``not_found`` and ``no_street``: nothing more.

    `notices` are about the query as a whole; each address carries its own.
    """

    status: GeocodeStatus
    query: ParsedAddress
    notices: list[AddressNotice] = field(default_factory=list)
    street_id: int | None = None
    addresses: list[GeocodedAddress] = field(default_factory=list)
    candidates: list[GeocodedAddress] = field(default_factory=list)
    postcode: str | None = None
