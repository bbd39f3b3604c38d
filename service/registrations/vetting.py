"""Police and municipality: the applications of their scope (`service.scope`), decisions, groups.

Every function takes the municipalities the staff account acts for (`StaffScope.municipalities`):
one for a municipality account, all of a police zone for a police-zone account.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service.registrations.errors import (
    GroupFullError,
    RegistrationError,
    RegistrationStateError,
    UnknownRegistrationError,
)
from service.registrations.events import audit, audited
from service.registrations.handoff import group_fill
from service.registrations.status import ACTIVE_STATUSES, DECIDED, move
from service.tables import Registration


def municipalities_of(scope: Collection[str]) -> list[str]:
    """Return the municipality names of a scope; one name alone is a scope of one."""
    # A bare string is a Collection too, and `in` on it would match substrings ("Alk" in "Alken").
    return [scope] if isinstance(scope, str) else sorted(scope)


def _staff_get(session: Session, registration_id: str, scope: Collection[str]) -> Registration:
    row = session.get(Registration, registration_id) if len(registration_id) <= 64 else None
    # An application outside the scope is as unknown as a missing one: ids reveal nothing.
    if row is None or row.municipality not in municipalities_of(scope):
        raise UnknownRegistrationError(f"onbekende aanmelding: {registration_id[:64]}")
    return row


def _pending(session: Session, registration_id: str, scope: Collection[str]) -> Registration:
    row = _staff_get(session, registration_id, scope)
    if row.status != "pending":
        raise RegistrationStateError(DECIDED.format(status=row.status))
    return row


def list_for_staff(
    session: Session,
    scope: Collection[str],
    actor_id: str,
    *,
    status: str | None = None,
    unassigned: bool = False,
    decided: bool = False,
    limit: int = 100,
) -> list[Registration]:
    """Return the applications of the scope's municipalities (oldest first); each one is audited.

    ``decided``: only decided ones (kept until their retention period ends), newest decision first.
    """
    query = select(Registration).where(Registration.municipality.in_(municipalities_of(scope)))
    if status is not None:
        query = query.where(Registration.status == status)
    if unassigned:
        query = query.where(Registration.zone_id.is_(None), Registration.new_group.is_(False))
    if decided:
        query = query.where(Registration.decided_at.is_not(None))
        query = query.order_by(Registration.decided_at.desc(), Registration.id)
    query = query.order_by(Registration.created_at, Registration.id).limit(limit)
    return audited(session, actor_id, "registration.read", session.scalars(query))


def get_for_staff(
    session: Session, registration_id: str, scope: Collection[str], actor_id: str
) -> Registration:
    """Return one application of the scope, and audit the read."""
    row = _staff_get(session, registration_id, scope)
    audit(session, actor_id, "registration.read", row)
    return row


def duplicates(session: Session, registration: Registration, scope: Collection[str]) -> int:
    """Count the scope's other open applications with the same phone number or name."""
    # Only the staff's own municipalities: a count across all of them would tell the police of one
    # town that the applicant applied in another.
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                # The same person applying twice, or someone applying for others: either shows.
                or_(
                    Registration.phone == registration.phone,
                    func.lower(Registration.name) == registration.name.lower(),
                ),
                Registration.id != registration.id,
                Registration.municipality.in_(municipalities_of(scope)),
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Vetting:
    """An application as the police vet it: the row, and how many others look like it."""

    registration: Registration
    similar: int  # other open applications of the scope with the same phone or name


def vetting_list(
    session: Session,
    scope: Collection[str],
    actor_id: str,
    *,
    decided: bool = False,
    limit: int = 200,
) -> list[Vetting]:
    """Return the pending applications oldest first (or the decided ones), each with its look-alikes."""
    if decided:
        rows = list_for_staff(session, scope, actor_id, decided=True, limit=limit)
    else:
        rows = list_for_staff(session, scope, actor_id, status="pending", limit=limit)
    return [Vetting(row, duplicates(session, row, scope)) for row in rows]


def approve(
    session: Session,
    registration_id: str,
    scope: Collection[str],
    actor_id: str,
    member_cap: int | Callable[[str], int],
    now: datetime | None = None,
) -> Registration:
    """Approve a pending application; refused when its group is full or undecided.

    `member_cap` is one cap, or a function giving a zone's cap (its municipality's, when the
    municipalities of a dataset set different caps: `zones.municipal.zone_member_cap`).
    """
    row = _pending(session, registration_id, scope)
    if row.zone_id is None and not row.new_group:
        raise RegistrationStateError(
            "Dit adres ligt in geen enkele zone: kies eerst een groep of 'nieuwe groep'."
        )
    if row.zone_id is not None:
        if callable(member_cap):
            member_cap = member_cap(row.zone_id)
        filled = group_fill(session, row.zone_id)
        if filled >= member_cap:
            raise GroupFullError(
                f"De groep {row.zone_id} is vol: {filled} van de {member_cap} leden die een "
                "WhatsApp-groep kan hebben. Splits de zone of wijs een andere groep toe."
            )
    return move(session, row, "approved", actor_id, now)


def refuse(
    session: Session,
    registration_id: str,
    scope: Collection[str],
    actor_id: str,
    now: datetime | None = None,
) -> Registration:
    """Refuse a pending application: only the decision is kept, never a reason."""
    # Nothing but what the applicant needs to read the outcome stays until the purge.
    return move(session, _staff_get(session, registration_id, scope), "refused", actor_id, now)


def assign_group(
    session: Session,
    registration_id: str,
    scope: Collection[str],
    actor_id: str,
    *,
    zone_id: str | None,
    known_zones: Collection[str],
) -> Registration:
    """Put a pending application in a zone, or (zone_id None) mark it as a new group."""
    row = _pending(session, registration_id, scope)
    if zone_id is not None and zone_id not in known_zones:
        raise RegistrationError(f"onbekende zone: {zone_id[:64]}")
    row.zone_id, row.new_group = zone_id, zone_id is None
    audit(session, actor_id, "registration.assign", row, f"zone={zone_id or 'new'}")
    return row
