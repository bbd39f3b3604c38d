"""Staff sessions of the ``/beheer`` pages: a random cookie, its SHA-256 kept in the database.

The cookie (``wabp_session``) holds 32 random bytes and nothing else; the database keeps only their
SHA-256, so a copy of the database signs nobody in. A session ends when it expires
(``WABP_SESSION_HOURS``), at "Afmelden", when its user changes their password (every other session
of that user ends too) and when the account is disabled. The JSON API keeps its bearer tokens: a
cookie there would need CSRF protection on every call.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.auth import AuthError
from service.tables import StaffSession, User, utcnow

COOKIE = "wabp_session"
# Sent only to the staff pages: the public pages and the API never see it.
COOKIE_PATH = "/beheer"
MAX_TOKEN = 100  # a longer cookie is not one of ours: refused before hashing


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, hours: int, now: datetime | None = None) -> str:
    """Open a session for a signed-in user; return the cookie value (shown only to the browser)."""
    at = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id=_digest(token),
            user_id=user.id,
            created_at=at,
            expires_at=at + timedelta(hours=hours),
        )
    )
    # This user's expired sessions go now (they hold ids and times only, no personal data).
    session.execute(
        delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.expires_at <= at)
    )
    return token


def session_user(session: Session, token: str | None, now: datetime | None = None) -> User:
    """Return the active user of a session cookie; raise AuthError for no, an unknown or old one."""
    if not token or len(token) > MAX_TOKEN:
        raise AuthError("not signed in")
    row = session.get(StaffSession, _digest(token))
    if row is None or row.expires_at <= (now or utcnow()):
        raise AuthError("session unknown or expired")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthError("account unknown or disabled")
    return user


def end_session(session: Session, token: str | None) -> None:
    """End one session ("Afmelden"); an unknown cookie ends nothing."""
    if token and len(token) <= MAX_TOKEN:
        session.execute(delete(StaffSession).where(StaffSession.id == _digest(token)))


def end_user_sessions(session: Session, user_id: str) -> None:
    """End every session of one user (password changed or reset, account disabled)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def end_expired(session: Session, now: datetime | None = None) -> int:
    """Delete every expired session (``wabp purge``); return how many there were."""
    expired = StaffSession.expires_at <= (now or utcnow())
    count = session.scalar(select(func.count()).select_from(StaffSession).where(expired)) or 0
    session.execute(delete(StaffSession).where(expired))
    return count
