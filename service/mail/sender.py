"""Delivering the outbox: claim due messages, send them, record what the server said.

Two senders (the service's background task, ``wabp outbox send`` from cron, a second instance)
never send one message twice: a sender first *claims* due rows in a short transaction (a lease
with its own id; ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite
where one writer at a time does the same), and only the claimant records the outcome. A message
is marked sent only after the SMTP server accepted it, in its own transaction right after.
Only a crash in that instant can repeat a message once its lease runs out; its Message-ID stays
the same, so mail clients show it once.

Outcomes: accepted -> ``sent`` (address and bodies erased); no connection, timeout or 4xx ->
stays ``queued`` with the reason and the next attempt after ``WABP_MAIL_RETRY_SECONDS``, doubled
each time (at most 6 hours), until ``WABP_MAIL_MAX_ATTEMPTS``; 5xx -> ``failed`` with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from service.mail.smtp import (
    Connection,
    DeliveryError,
    PermanentError,
    SmtpConfig,
    TemporaryError,
    build,
)
from service.privacy import log_failure
from service.settings import Settings
from service.tables import OutboxMessage, new_id, utcnow

log = logging.getLogger("wabp.mail")

LEASE = timedelta(minutes=10)  # far longer than one batch takes with the SMTP timeouts
MAX_DELAY = timedelta(hours=6)
BATCH = 50


@dataclass(frozen=True)
class Policy:
    """How often to try, and how long to wait in between."""

    retry_seconds: float = 60
    max_attempts: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """Return the retry policy of the settings."""
        return cls(settings.mail_retry_seconds, settings.mail_max_attempts)

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after the ``attempts``-th failed attempt (exponential backoff)."""
        seconds = self.retry_seconds * 2 ** min(attempts - 1, 30)
        return min(timedelta(seconds=seconds), MAX_DELAY)


@dataclass(frozen=True)
class Claimed:
    """A message a sender holds the lease of (a copy: sending happens outside any transaction)."""

    id: str
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str | None


@dataclass
class Report:
    """What one round of sending did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Return the number of messages tried."""
        return self.sent + self.retry + self.failed


def claim(
    factory: sessionmaker[Session], worker: str, now: datetime, limit: int = BATCH
) -> list[Claimed]:
    """Take the lease on up to ``limit`` due messages, oldest first, and return them."""
    with factory.begin() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "queued",
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
        ).all()
        claimed = []
        for row in rows:
            row.claimed_by, row.claimed_until = worker, now + LEASE
            if row.recipient is None or row.body_text is None:  # erased meanwhile: nothing to send
                row.status, row.last_error = "failed", "geen adres meer"
                continue
            claimed.append(
                Claimed(row.id, row.kind, row.recipient, row.subject, row.body_text, row.body_html)
            )
        return claimed


def _record(
    factory: sessionmaker[Session],
    message: Claimed,
    worker: str,
    policy: Policy,
    error: DeliveryError | None,
    now: datetime,
) -> str:
    """Record the outcome of one attempt; return sent, retry or failed."""
    with factory.begin() as session:
        row = session.get(OutboxMessage, message.id, with_for_update=True)
        if row is None:
            return "sent" if error is None else "failed"  # erased with its registration meanwhile
        if row.claimed_by != worker:
            log.warning("outbox: lease of message %s was lost before its outcome", row.id)
        row.attempts += 1
        row.claimed_by = row.claimed_until = None
        if error is None:
            outcome = "sent"
            row.status, row.sent_at, row.last_error = "sent", now, None
        elif isinstance(error, PermanentError) or row.attempts >= policy.max_attempts:
            outcome = "failed"
            row.status, row.last_error = "failed", error.reason
            if not isinstance(error, PermanentError):
                row.last_error = f"opgegeven na {row.attempts} pogingen: {error.reason}"[:500]
        else:
            outcome = "retry"
            row.last_error = error.reason
            row.next_attempt_at = now + policy.delay(row.attempts)
            return outcome
        # Sent or given up: nobody needs the address or the text (with its private link) any more.
        row.recipient = row.body_text = row.body_html = None
        return outcome


def send_due(
    factory: sessionmaker[Session],
    config: SmtpConfig,
    policy: Policy | None = None,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
) -> Report:
    """Send the messages that are due, over one SMTP connection; return what happened."""
    policy = policy or Policy()
    worker = new_id()
    report = Report()
    claimed = claim(factory, worker, now or utcnow(), limit)
    if not claimed:
        return report
    pending = list(claimed)
    try:
        with Connection(config) as smtp:
            while pending and smtp.open:
                message = pending.pop(0)
                error: DeliveryError | None = None
                try:
                    smtp.send(
                        build(
                            config,
                            message.id,
                            message.recipient,
                            message.subject,
                            message.body_text,
                            message.body_html,
                        )
                    )
                except DeliveryError as exc:
                    error = exc
                _count(report, _record(factory, message, worker, policy, error, now or utcnow()))
                _log(message, error)
            if pending:  # the connection broke: the rest waits for the next round
                raise TemporaryError("verbinding verbroken tijdens het versturen")
    except TemporaryError as exc:
        for message in pending:
            _count(report, _record(factory, message, worker, policy, exc, now or utcnow()))
            _log(message, exc)
    return report


def _count(report: Report, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


def _log(message: Claimed, error: DeliveryError | None) -> None:
    # Ids, kinds and SMTP codes only: never the address or the text.
    if error is None:
        log.info("outbox: sent %s (%s)", message.id, message.kind)
    else:
        log.warning("outbox: %s (%s) not sent: %s", message.id, message.kind, error.reason)


class BackgroundSender:
    """The service's sender: sends when a commit queued mail, and every ``poll`` seconds."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        config: SmtpConfig,
        policy: Policy,
        poll_seconds: float,
    ) -> None:
        self.factory, self.config, self.policy, self.poll = factory, config, policy, poll_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Ask for a round now (thread-safe: commits happen in worker threads)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Send rounds until stopped; a failing round is logged and retried at the next one."""
        self._loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = await asyncio.to_thread(send_due, self.factory, self.config, self.policy)
                if report.total == BATCH:
                    continue  # more may be due right away
            except Exception:  # a database hiccup must not end the sender for good
                log_failure(log, "outbox: sending round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)
            except TimeoutError:
                pass

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop after the current round (its messages are recorded, none half-sent)."""
        self._stop.set()
        self._wake.set()
        try:
            await asyncio.wait_for(task, timeout=self.config.timeout * 3)
        except TimeoutError:
            task.cancel()
