"""Erasure: on withdrawal, when a member has left, and when a retention period ends (``wabp purge``).

Retention (GDPR Art. 5(1)(e)); the periods are settings (``service.settings``):

| what | its period runs from | setting (``WABP_RETENTION_...``) |
|---|---|---|
| a refused application | the decision | ``REFUSED_DAYS`` (30) |
| a member the coordinator removed | the removal | ``REMOVED_DAYS`` (365) |
| a member who left, not yet removed by the coordinator | the withdrawal | ``LEAVING_DAYS`` (30) |
| an application nobody decided | the application | ``PENDING_DAYS`` (90) |
| an audit event (ids and actions only) | the event | ``AUDIT_DAYS`` (730) |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from service.registrations.events import audit
from service.registrations.status import clock
from service.tables import AuditEvent, OutboxMessage, Registration


def erase(
    session: Session, registration: Registration, reason: str, now: datetime | None = None
) -> None:
    """Delete a registration, its consents and its mails; the audit log keeps the id and reason."""
    audit(session, None, "registration.erase", registration, f"reason={reason}", at=now)
    # Its mails go with it, sent or not: they hold the address and the private link.
    session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id)
        .execution_options(synchronize_session=False)
    )
    session.delete(registration)
    session.flush()


@dataclass(frozen=True)
class PurgeReport:
    """How many records the retention rules erase (or would erase, in a dry run)."""

    refused: int
    removed: int
    pending: int
    leaving: int
    audit_events: int

    @property
    def total(self) -> int:
        """Return the number of registrations erased (audit events apart)."""
        return self.refused + self.removed + self.pending + self.leaving


def purge(
    session: Session,
    *,
    refused_days: int,
    removed_days: int,
    pending_days: int,
    leaving_days: int,
    audit_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Erase what is older than its retention period: registrations, then audit events."""
    now = clock(now)
    expired = {
        status: list(
            session.scalars(
                select(Registration)
                .options(selectinload(Registration.consents))
                .where(Registration.status == status, since <= now - timedelta(days=days))
            )
        )
        for status, since, days in (
            ("refused", Registration.decided_at, refused_days),
            ("removed", Registration.removed_at, removed_days),
            ("pending", Registration.created_at, pending_days),
            # A member who asked to leave is erased once the coordinator removes them; this bounds
            # the wait when the coordinator never does (the withdrawal page promises as much).
            ("leaving", Registration.leaving_at, leaving_days),
        )
    }
    # The whole log, not only registrations': its events name ids and actions, and an id outlives
    # its meaning once the record is gone. Erasures below are stamped `now`, so they stay.
    old = AuditEvent.at < now - timedelta(days=audit_days)
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(old)) or 0
    if not dry_run:
        for status, rows in expired.items():
            for row in rows:
                erase(session, row, f"retention-{status}", now)
        session.execute(delete(AuditEvent).where(old).execution_options(synchronize_session=False))
    return PurgeReport(
        refused=len(expired["refused"]),
        removed=len(expired["removed"]),
        pending=len(expired["pending"]),
        leaving=len(expired["leaving"]),
        audit_events=events,
    )
