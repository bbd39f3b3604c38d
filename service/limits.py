"""Limits counted in the database: every process and every instance sees the same counts.

A limit is a ``Window``: at most ``limit`` events of one ``scope`` and key in any ``seconds``. Keys
are keyed hashes (HMAC-SHA256 with the signing key) of what is counted, so the table holds no
e-mail address or IP address, and the same account or address gives the same key everywhere.
The caller's transaction records the events; it commits them with the rest of its work.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from service.tables import RateEvent

_PURPOSE = b"wabp-limit:"  # the key also signs tokens: keep this use apart


@dataclass(frozen=True)
class Window:
    """At most ``limit`` events of ``scope`` per key in any ``seconds``."""

    scope: str
    limit: int
    seconds: float

    def key(self, secret: bytes, *parts: str) -> str:
        """Return the stored key of ``parts`` (an account, an address, or both)."""
        message = _PURPOSE + self.scope.encode() + b"\x1f" + "\x1f".join(parts).encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def serialise(self, session: Session, key: str) -> None:
        """Hold this key's turn until the transaction ends: check and record become one step.

        On PostgreSQL a transaction-scoped advisory lock on the key (two requests of one address
        take turns; other addresses do not wait). SQLite needs nothing: every transaction starts
        with ``BEGIN IMMEDIATE`` and so holds the one write lock from its start.
        """
        if session.get_bind().dialect.name == "postgresql":
            lock = int(key[:15], 16)  # 60 bits of the keyed hash: fits a bigint
            session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})

    def retry_after(self, session: Session, key: str, now: datetime) -> int | None:
        """Return the seconds until ``key`` is below its limit again, or None if it is below now."""
        # The limit-th newest event in the window: when it leaves the window, one more is allowed.
        newest = session.scalars(
            select(RateEvent.at)
            .where(
                RateEvent.scope == self.scope,
                RateEvent.key == key,
                RateEvent.at > now - timedelta(seconds=self.seconds),
            )
            .order_by(RateEvent.at.desc())
            .limit(self.limit)
        ).all()
        if len(newest) < self.limit:
            return None
        free_at = newest[-1] + timedelta(seconds=self.seconds)
        return max(1, math.ceil((free_at - now).total_seconds()))

    def count(self, session: Session, key: str, now: datetime) -> int:
        """Return the number of events of ``key`` in the window ending ``now``."""
        cutoff = now - timedelta(seconds=self.seconds)
        rows = session.scalars(
            select(RateEvent.id).where(
                RateEvent.scope == self.scope, RateEvent.key == key, RateEvent.at > cutoff
            )
        )
        return len(rows.all())

    def record(self, session: Session, key: str, now: datetime) -> None:
        """Count one event of ``key``; drop this scope's events that no window can see any more."""
        session.execute(
            delete(RateEvent).where(
                RateEvent.scope == self.scope,
                RateEvent.at <= now - timedelta(seconds=self.seconds),
            )
        )
        session.add(RateEvent(scope=self.scope, key=key, at=now))
        session.flush()

    def forget(self, session: Session, key: str) -> None:
        """Drop every event of ``key`` (a successful sign-in ends its guessing count)."""
        session.execute(
            delete(RateEvent).where(RateEvent.scope == self.scope, RateEvent.key == key)
        )


def purge(session: Session, older_than: timedelta, now: datetime) -> int:
    """Erase the events older than `older_than` (no window sees them); return how many.

    A window drops its own old events when it counts a new one; a quiet window would keep its
    last ones (keyed hashes of addresses and accounts) for good without this.
    """
    cutoff = now - older_than
    result = session.execute(delete(RateEvent).where(RateEvent.at <= cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
