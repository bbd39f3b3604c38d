"""The outbox: messages are rows, written in the transaction of the event that causes them.

A request that approves an application and the decision mail it causes commit together or not at
all; the sender (``service.mail.sender``) delivers committed rows later, so an SMTP server that is
down or slow never fails or slows the request. Personal data in a row (the address, the bodies)
is erased once the message is sent or given up, with its registration or account, and by
``wabp purge`` after ``WABP_RETENTION_OUTBOX_DAYS`` whatever its state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from service.mail.compose import Mail
from service.settings import Settings
from service.tables import OutboxMessage, utcnow

BASE_URL = "wabp.base_url"  # Session.info: the public address links in messages start with
QUEUED = "wabp.mail_queued"  # Session.info: this transaction queued mail (wake the sender)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def session_info(settings: Settings) -> dict[str, object]:
    """Return the ``Session.info`` a service or CLI session starts with (where links point)."""
    base = settings.base_url or f"http://{settings.host}:{settings.port}"
    return {BASE_URL: base.rstrip("/")}


def public_url(session: Session, path: str) -> str:
    """Return the absolute URL of a path of this service, for a link in a message."""
    base = session.info.get(BASE_URL) or DEFAULT_BASE_URL
    return f"{base}{path}"


def queue(
    session: Session,
    kind: str,
    recipient: str,
    mail: Mail,
    *,
    registration_id: str | None = None,
    user_id: str | None = None,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the session's transaction; the sender delivers it later."""
    at = now or utcnow()
    row = OutboxMessage(
        kind=kind,
        status="queued",
        recipient=recipient,
        subject=mail.subject,
        body_text=mail.text(),
        body_html=mail.html(),
        registration_id=registration_id,
        user_id=user_id,
        created_at=at,
        next_attempt_at=max(at, not_before) if not_before else at,
        attempts=0,
    )
    session.add(row)
    session.info[QUEUED] = True
    return row


def wake_on_commit(factory: sessionmaker[Session], wake: Callable[[], None]) -> None:
    """Call ``wake`` after each commit that queued mail, so the sender need not wait to poll."""
    from sqlalchemy import event

    def committed(session: Session) -> None:
        if session.info.pop(QUEUED, False):
            wake()

    def rolled_back(session: Session) -> None:
        session.info.pop(QUEUED, None)

    event.listen(factory, "after_commit", committed)
    event.listen(factory, "after_soft_rollback", lambda session, previous: rolled_back(session))


@dataclass(frozen=True)
class Entry:
    """One outbox row as ``wabp outbox`` lists it: no address, no body."""

    id: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


def entries(session: Session, status: str | None = None, limit: int = 100) -> list[Entry]:
    """Return the newest outbox entries (all, or those of one status), without personal data."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return [
        Entry(
            id=row.id,
            kind=row.kind,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at if row.status == "queued" else None,
            sent_at=row.sent_at,
            last_error=row.last_error,
        )
        for row in session.scalars(query)
    ]


def counts(session: Session) -> dict[str, int]:
    """Return how many messages are queued, sent and failed."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {str(status): int(n) for status, n in rows}


def purge(session: Session, days: int, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete outbox entries older than ``days`` (queued ones too: nobody waits that long)."""
    old = OutboxMessage.created_at < (now or utcnow()) - timedelta(days=days)
    n = session.scalar(select(func.count()).select_from(OutboxMessage).where(old)) or 0
    if not dry_run:
        session.execute(
            delete(OutboxMessage).where(old).execution_options(synchronize_session=False)
        )
    return n
