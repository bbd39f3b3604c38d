"""Coordinators: their group's members, the add and remove tasks, and the member cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.registrations.errors import UnknownRegistrationError
from service.registrations.events import audit, audited
from service.registrations.retention import erase
from service.registrations.status import MEMBER_STATUSES, STEPS, clock, move
from service.tables import Registration


def group_fill(session: Session, zone_id: str) -> int:
    """Count the members a group has or is about to have (approved, added, leaving)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.zone_id == zone_id, Registration.status.in_(MEMBER_STATUSES))
        )
        or 0
    )


def members(session: Session, zone_id: str, actor_id: str) -> list[Registration]:
    """Return a group's approved, added and leaving members (a read of personal data: audited)."""
    query = (
        select(Registration)
        .where(Registration.zone_id == zone_id, Registration.status.in_(MEMBER_STATUSES))
        .order_by(Registration.status, Registration.street, Registration.id)
    )
    return audited(session, actor_id, "member.read", session.scalars(query))


@dataclass(frozen=True)
class Roster:
    """A group's members for its coordinator, and how many count against the member cap."""

    members: list[Registration]
    filled: int


def roster(session: Session, zone_id: str, actor_id: str) -> Roster:
    """Return a group's members (an audited read) and its fill."""
    return Roster(members(session, zone_id, actor_id), group_fill(session, zone_id))


def _member(session: Session, zone_id: str, registration_id: str) -> Registration:
    row = session.get(Registration, registration_id) if len(registration_id) <= 64 else None
    if row is None or row.zone_id != zone_id or row.status not in (*MEMBER_STATUSES, "removed"):
        raise UnknownRegistrationError(f"onbekend lid: {registration_id[:64]}")
    return row


def mark_added(
    session: Session,
    zone_id: str,
    registration_id: str,
    actor_id: str,
    now: datetime | None = None,
) -> Registration:
    """Record that the coordinator added an approved member to the WhatsApp group."""
    return move(session, _member(session, zone_id, registration_id), "added", actor_id, now)


def mark_removed(
    session: Session,
    zone_id: str,
    registration_id: str,
    actor_id: str,
    now: datetime | None = None,
) -> Literal["erased", "removed"]:
    """Record a removal from the WhatsApp group; a member who asked to leave is erased now."""
    row = _member(session, zone_id, registration_id)
    if row.status == "leaving":
        # They asked to go: once out of the WhatsApp group nothing needs to be kept.
        audit(session, actor_id, STEPS["removed"].action, row, at=clock(now))
        erase(session, row, "left", now)
        return "erased"
    # Otherwise kept for the retention period (wabp purge); the e-mail address goes now.
    move(session, row, "removed", actor_id, now)
    return "removed"
