"""The lookup result: the one shape the API, the CLI and the maps all speak.

``status`` is ``found`` (the address is in one or more zones), ``no_zone`` (a real address in no
zone: start a group), ``ambiguous`` (pick one of ``candidates``) or ``not_found``. ``precision`` says
how the position was obtained; ``warnings`` carry stable codes that the Dutch UI explains.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# An address as the register writes it: the geocoder's answer, as the API gives it.
from geo.geocode import CanonicalAddress as CanonicalAddress

Status = Literal["found", "no_zone", "ambiguous", "not_found"]
Precision = Literal["address", "interpolated", "street", "coordinates"]
Action = Literal[
    "join_group",
    "start_group",
    "pick_candidate",
    "add_housenumber",
    "contact_municipality",
    "report_problem",
]


class Location(BaseModel):
    """A WGS84 position."""

    lat: float
    lon: float


class ZoneRef(BaseModel):
    """A zone as a resident needs it: id, group name and area."""

    id: str
    name: str
    area: str


class Notice(BaseModel):
    """A warning with a stable code and a Dutch explanation."""

    code: str
    message: str
    zones: list[ZoneRef] = Field(default_factory=list)


class Candidate(BaseModel):
    """One possible answer of an ambiguous lookup."""

    address: CanonicalAddress
    location: Location | None = None
    zones: list[ZoneRef] = Field(default_factory=list)
    score: float | None = None


class StreetPart(BaseModel):
    """The house numbers of a street that belong to one zone set (none: no group)."""

    zones: list[ZoneRef]
    numbers: str


class NextStep(BaseModel):
    """What a resident can do next: a Dutch sentence, and a link when there is one to follow."""

    code: str
    text: str
    href: str | None = None


class LookupResult(BaseModel):
    """The answer to "which WABP group is mine?"."""

    status: Status
    address: CanonicalAddress | None = None
    location: Location | None = None
    zones: list[ZoneRef] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    precision: Precision | None = None
    warnings: list[Notice] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    message: str
    # A street without a house number that lies in several zones: which numbers go where.
    street_parts: list[StreetPart] = Field(default_factory=list)
    # `actions` as sentences with their links (join form with the address filled in, contacts,
    # 101/112): the same steps the pages show.
    next_steps: list[NextStep] = Field(default_factory=list)


class StreetSuggestion(BaseModel):
    """A street offered by autocomplete, with its house numbers (``1-147 (oneven); 2-188 (even)``)."""

    name: str
    postcode: str
    municipality: str
    score: float
    numbers: str = ""
