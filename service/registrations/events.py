"""The audit log of registrations: every change and every staff read, by id, never by person."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.tables import AuditEvent, Registration, utcnow


def audit(
    session: Session,
    actor_id: str | None,
    action: str,
    registration: Registration,
    detail: str = "",
    at: datetime | None = None,
) -> None:
    """Record an action on a registration (ids and status only, never personal data)."""
    session.add(
        AuditEvent(
            # The time of the change it records, so that a frozen clock in tests freezes both.
            at=at if at is not None else utcnow(),
            actor_id=actor_id,
            action=action,
            object_type="registration",
            object_id=registration.id,
            detail=detail,
            municipality=registration.municipality,
        )
    )


def audited(
    session: Session, actor_id: str, action: str, rows: Iterable[Registration]
) -> list[Registration]:
    """Return the rows a staff user reads, each read recorded (they hold personal data)."""
    shown = list(rows)
    for row in shown:
        audit(session, actor_id, action, row)
    return shown


def audit_log(
    session: Session,
    scope: Collection[str],
    *,
    object_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """Return the newest audit events about the registrations of the scope's municipalities."""
    query = select(AuditEvent).where(
        AuditEvent.municipality.in_([scope] if isinstance(scope, str) else sorted(scope))
    )
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(
        session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    )
