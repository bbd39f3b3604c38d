"""Public response models of the API (what a caller sees; never personal data)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from zones.schema import StreetRule, Zone


class GroupStreet(BaseModel):
    """A street of a group, with its rule and the Dutch text the public list shows."""

    rule: StreetRule
    text: str


class Group(BaseModel):
    """One row of the public group list."""

    id: str
    name: str
    area: str
    status: str
    streets: list[GroupStreet]
    addresses: int = Field(description="register addresses in the zone (a count, no personal data)")
    how_to_join: str | None = None

    @classmethod
    def from_zone(cls, zone: Zone, addresses: int) -> Group:
        """Build the public row of a zone."""
        return cls(
            id=zone.id,
            name=zone.name,
            area=zone.props.area,
            status=zone.props.status,
            streets=[GroupStreet(rule=r, text=r.describe()) for r in zone.props.streets],
            addresses=addresses,
            how_to_join=zone.props.how_to_join,
        )


class Health(BaseModel):
    """What /healthz reports."""

    status: str
    dataset: str
    zones: int
    addresses: int
