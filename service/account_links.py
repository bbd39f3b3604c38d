"""Links that let a staff member choose a password: an invitation, or a reset.

A link holds a random token (256 bits); only its SHA-256 is stored. It works once and for a
while (invitation 7 days, reset 1 hour), and a newer link of the same kind replaces the older one.
The mail that carries it is queued in the same transaction (``service.mail.notices``).

Errors::

    AccountLinkError          a link that cannot be used: unknown, used, expired, account disabled
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Container
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import users
from service.mail import notices
from service.mail.outbox import public_url
from service.tables import AccountLink, AccountLinkPurpose, AuditEvent, User, utcnow
from service.users import UserError, check_password, create_user, normalize_email
from zones.municipal import Municipalities

VALID: dict[AccountLinkPurpose, timedelta] = {
    "invite": timedelta(days=7),
    "reset": timedelta(hours=1),
}
RESET_PAUSE = timedelta(minutes=5)  # one reset mail per account in this time: no mail bombing
PAGE = "/beheer/wachtwoord/"


class AccountLinkError(Exception):
    """The link is unknown, used, expired, or its account is disabled (one message for all)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, user: User, purpose: AccountLinkPurpose, now: datetime | None = None
) -> str:
    """Return a new link token for the user; their older unused links of this kind stop working."""
    now = now or utcnow()
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + VALID[purpose],
        )
    )
    return token


def invite(
    session: Session,
    email: str,
    role: str,
    *,
    zone_id: str | None = None,
    municipality: str | None = None,
    police_zone: str | None = None,
    known_zones: Container[str] | None = None,
    held: Municipalities | None = None,
    actor_id: str | None = None,
    audit_municipality: str | None = None,
    now: datetime | None = None,
) -> User:
    """Add a staff account without a password and mail its owner a link to choose one."""
    # A random password nobody knows: the account cannot sign in until its owner chose one.
    user = create_user(
        session,
        email,
        secrets.token_urlsafe(32),
        role,
        zone_id=zone_id,
        municipality=municipality,
        police_zone=police_zone,
        known_zones=known_zones,
        held=held,
        actor_id=actor_id,
        audit_municipality=audit_municipality,
    )
    token = issue(session, user, "invite", now)
    notices.staff_invitation(session, user, public_url(session, PAGE + token), VALID["invite"])
    _audit(session, actor_id, "user.invite", user.id, audit_municipality)
    return user


def request_reset(session: Session, email: str, now: datetime | None = None) -> bool:
    """Mail a reset link if an active account has this address; True when one was queued.

    Callers must not tell the difference to the person asking: that would reveal who has an account.
    """
    now = now or utcnow()
    try:
        address = normalize_email(email)
    except UserError:
        return False
    user = session.scalar(select(User).where(User.email == address, User.active.is_(True)))
    if user is None:
        return False
    return send_reset(session, user, None, now=now)


def send_reset(
    session: Session,
    user: User,
    actor_id: str | None,
    *,
    audit_municipality: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Mail an active account a reset link, unless one went out in the last minutes."""
    now = now or utcnow()
    if not user.active:
        return False
    recent = session.scalar(
        select(AccountLink.id).where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == "reset",
            AccountLink.created_at > now - RESET_PAUSE,
        )
    )
    if recent is not None:
        return False
    token = issue(session, user, "reset", now)
    notices.password_reset(session, user, public_url(session, PAGE + token), VALID["reset"])
    _audit(session, actor_id, "user.reset_link", user.id, audit_municipality)
    return True


def check(session: Session, token: str, now: datetime | None = None) -> tuple[AccountLink, User]:
    """Return the link of a token and its account, or raise AccountLinkError."""
    now = now or utcnow()
    link = (
        session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(token)))
        if 0 < len(token) <= 100
        else None
    )
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None or link.used_at is not None or link.expires_at <= now:
        raise AccountLinkError("Deze link werkt niet (meer): hij is al gebruikt of verlopen.")
    if not user.active:
        raise AccountLinkError("Deze link werkt niet (meer): het account is uitgeschakeld.")
    return link, user


def set_password(session: Session, token: str, password: str, now: datetime | None = None) -> User:
    """Set the account's password with a link, which then stops working (as do its siblings)."""
    now = now or utcnow()
    link, user = check(session, token, now)
    check_password(password)
    # Used up at once, in the same transaction as the new password: a second use finds it spent.
    spent = session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(spent, "rowcount", 1) != 1:
        raise AccountLinkError("Deze link werkt niet (meer): hij is al gebruikt of verlopen.")
    session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    # The account's sign-in sessions end too: a reset is what one does when someone else got in.
    users.set_password(session, user, password, actor_id=None, audit_municipality=user.municipality)
    _audit(session, user.id, f"user.password_by_{link.purpose}_link", user.id, user.municipality)
    return user


def _audit(
    session: Session,
    actor_id: str | None,
    action: str,
    user_id: str,
    municipality: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type="user",
            object_id=user_id,
            municipality=municipality,
        )
    )
