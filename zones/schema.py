"""The zone schema: what a WABP group's zone is, as stored in ``zones.geojson``.

Each feature is a Polygon/MultiPolygon in WGS84 with properties ``id``, ``name`` ("WABP Heiligenborn"),
``area`` (the published list's "regio"), ``streets`` (register street names, each with a house-number
rule), ``status`` and ``valid_from``. In memory a zone also carries its geometry in Lambert 72, the CRS
in which every geometric test runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.geometry.base import BaseGeometry

from geo.crs import LAMBERT72, WGS84, transformer
from geo.housenumber import HouseNumber

ZoneId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="slug")]
ZoneStatus = Literal["active", "proposed", "retired"]


class NumberRange(BaseModel):
    """House numbers from..to inclusive, optionally one side of the street only."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int = Field(alias="from", ge=0)
    to: int = Field(ge=0)
    parity: Literal["even", "odd"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> NumberRange:
        if self.to < self.from_:
            raise ValueError("'to' must not be smaller than 'from'")
        return self


NumberRule = Literal["all", "even", "odd", "partial"] | NumberRange


class StreetRule(BaseModel):
    """A register street name with the house numbers of it that belong to the zone.

    ``partial`` means "part of this street; the polygon decides which numbers".
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    postcode: str | None = Field(default=None, pattern=r"^[1-9]\d{3}$")
    numbers: NumberRule = "all"

    def decides(self) -> bool:
        """Tell whether this rule assigns addresses by itself (everything but ``partial``)."""
        return self.numbers != "partial"

    def covers(self, number: HouseNumber | None) -> bool:
        """Tell whether the rule includes a house number (only for rules that decide)."""
        rule = self.numbers
        if rule == "all":
            return True
        if number is None or rule == "partial":
            return False
        if rule in ("even", "odd"):
            return number.parity == rule
        assert isinstance(rule, NumberRange)
        if rule.parity is not None and number.parity != rule.parity:
            return False
        return rule.from_ <= number.number <= rule.to

    def describe(self) -> str:
        """Describe the rule in Dutch for the public group list (``Steenweg (even nrs.)``)."""
        rule = self.numbers
        if rule == "all":
            return self.name
        if rule == "partial":
            return f"{self.name} (deels)"
        if rule == "even":
            return f"{self.name} (even nrs.)"
        if rule == "odd":
            return f"{self.name} (oneven nrs.)"
        assert isinstance(rule, NumberRange)
        side = {"even": " even", "odd": " oneven", None: ""}[rule.parity]
        return f"{self.name} (nrs. {rule.from_}-{rule.to}{side})"


class ZoneProperties(BaseModel):
    """The properties of a zone feature."""

    model_config = ConfigDict(extra="allow")

    id: ZoneId
    name: str = Field(min_length=1, max_length=120)
    area: str = Field(default="", max_length=120)
    streets: list[StreetRule] = Field(default_factory=list)
    status: ZoneStatus = "active"
    valid_from: dt.date | None = None
    how_to_join: str | None = Field(default=None, max_length=1000)


@dataclass
class Zone:
    """A zone: its properties and its geometry in WGS84 (as stored) and Lambert 72 (for tests)."""

    props: ZoneProperties
    geometry: BaseGeometry
    geometry_l72: BaseGeometry = field(init=False)

    def __post_init__(self) -> None:
        self.geometry_l72 = to_l72(self.geometry)

    @property
    def id(self) -> str:
        """Return the zone id."""
        return self.props.id

    @property
    def name(self) -> str:
        """Return the group name."""
        return self.props.name


@dataclass
class ZoneSet:
    """An ordered set of zones with unique ids."""

    zones: list[Zone]

    def __post_init__(self) -> None:
        self._by_id = {z.id: z for z in self.zones}
        self._active: list[Zone] | None = None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.zones)

    def __len__(self) -> int:
        return len(self.zones)

    def __contains__(self, zone_id: object) -> bool:
        return zone_id in self._by_id

    def get(self, zone_id: str) -> Zone:
        """Return a zone by id or raise UnknownZoneError."""
        from zones.errors import UnknownZoneError

        try:
            return self._by_id[zone_id]
        except KeyError:
            raise UnknownZoneError(zone_id) from None

    def active(self) -> list[Zone]:
        """Return the zones that residents can join (a new list; the set itself never changes)."""
        if self._active is None:
            # Kept: a report or an approval asks a set of thousands of zones for this a dozen times.
            self._active = [z for z in self.zones if z.props.status == "active"]
        return list(self._active)


def to_l72(geometry: BaseGeometry) -> BaseGeometry:
    """Project a WGS84 geometry to Lambert 72."""
    return shapely.transform(geometry, _forward, interleaved=False)


def to_wgs84(geometry: BaseGeometry) -> BaseGeometry:
    """Unproject a Lambert 72 geometry to WGS84."""
    return shapely.transform(geometry, _backward, interleaved=False)


def _forward(x, y):  # type: ignore[no-untyped-def]
    return transformer(WGS84, LAMBERT72).transform(x, y)


def _backward(x, y):  # type: ignore[no-untyped-def]
    return transformer(LAMBERT72, WGS84).transform(x, y)
