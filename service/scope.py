"""Which municipalities a staff account acts for: the one scope every role x object check reads.

| role | scope |
|---|---|
| coordinator | their own zone (``service.auth.ensure_zone_access``); no municipality scope |
| municipality | its one municipality |
| police | its police zone (every municipality the dataset lists for it), or one municipality |

Registrations, proposals and the audit log are fetched through the scope: an object of a
municipality outside it is as unknown as a missing one (404), so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.tables import User
from zones.dataset import Dataset
from zones.errors import ForbiddenError
from zones.municipal import UnknownMunicipalityError


@dataclass(frozen=True)
class StaffScope:
    """The municipalities (as the register writes them) a police or municipality account acts for."""

    municipalities: frozenset[str]
    label: str  # what the account is of: "Kanton Borgloon" or "Alken"

    def __contains__(self, municipality: object) -> bool:
        return municipality in self.municipalities

    def includes_any(self, municipalities: list[str]) -> bool:
        """Tell whether any of these municipalities is in the scope (a proposal may span two)."""
        return any(m in self.municipalities for m in municipalities)

    def sorted(self) -> list[str]:
        """Return the municipalities in alphabetical order."""
        return sorted(self.municipalities)


def staff_scope(user: User, dataset: Dataset) -> StaffScope:
    """Return the scope of a police or municipality account; ForbiddenError when it has none."""
    held = dataset.municipalities
    if user.role == "police" and user.police_zone:
        try:
            zone = held.police_zone(user.police_zone)
        except UnknownMunicipalityError:
            raise ForbiddenError(
                f"this account's police zone {user.police_zone!r} is not in this dataset"
            ) from None
        return StaffScope(frozenset(zone.municipalities), zone.name)
    if not user.municipality:
        raise ForbiddenError(
            "this account belongs to no municipality or police zone: "
            "wabp users add ... --municipality NAME (or --police-zone NAME)"
        )
    # Stored as the register writes it; an account made before that rule may differ in case.
    found = held.get(user.municipality)
    name = found.name if found is not None else user.municipality
    return StaffScope(frozenset({name}), name)
