"""Staff accounts: add, list, remove, disable, passwords; every change writes an audit event.

Errors::

    UserError               an account change that cannot be made (bad e-mail, short password, ...)
     ├── DuplicateUserError   the e-mail address already has an account
     ├── UnknownUserError     no account has this e-mail address (or id)
     └── PasswordError        the new password is too short or too long
"""

from __future__ import annotations

from collections.abc import Container
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import authenticate, hash_password
from service.sessions import end_user_sessions
from service.tables import ROLES, AuditEvent, Proposal, User
from zones.errors import ConflictError, InvalidError, NotFoundError
from zones.municipal import Municipalities, UnknownMunicipalityError

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # Argon2 takes any length; this only bounds the work one request can ask for


class UserError(InvalidError):
    """An account change that cannot be made; the message says what to fix."""

    code = "invalid_user"


class DuplicateUserError(UserError, ConflictError):
    """The e-mail address already has an account."""

    code = "duplicate_user"


class UnknownUserError(UserError, NotFoundError):
    """No account has this e-mail address."""

    code = "unknown_user"


class PasswordError(UserError):
    """A new password that is too short or too long."""


def normalize_email(email: str) -> str:
    """Return the e-mail address trimmed and lower-cased; raise UserError if it is not one."""
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in email) or len(email) > 254:
        raise UserError(f"not an e-mail address: {email!r}")
    return email


def check_password(password: str) -> None:
    """Raise UserError when a password is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise PasswordError(f"the password may have at most {MAX_PASSWORD} characters")


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    zone_id: str | None = None,
    municipality: str | None = None,
    police_zone: str | None = None,
    known_zones: Container[str] | None = None,
    held: Municipalities | None = None,
    actor_id: str | None = None,
    audit_municipality: str | None = None,
) -> User:
    """Add a staff account; a coordinator needs a zone, and a given zone must be in ``known_zones``.

    With ``held`` (the dataset's municipalities), a municipality or police zone the dataset does
    not hold is refused, naming those it does; a police or municipality account without either
    gets the dataset's only municipality, or is refused when there are several.
    """
    email = normalize_email(email)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role == "coordinator" and not zone_id:
        raise UserError("a coordinator needs a zone (--zone ZONE_ID)")
    if zone_id and known_zones is not None and zone_id not in known_zones:
        raise UserError(f"unknown zone id: {zone_id!r}")
    if police_zone and role != "police":
        raise UserError("only a police account belongs to a police zone")
    if police_zone and municipality:
        raise UserError("give a municipality or a police zone, not both")
    if held is not None:
        municipality, police_zone = _scope_in(held, role, municipality, police_zone)
    check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DuplicateUserError(f"an account for {email} already exists")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        zone_id=zone_id or None,
        municipality=municipality or None,
        police_zone=police_zone or None,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # added by someone else since the check above
        raise DuplicateUserError(f"an account for {email} already exists") from None
    detail = f"role={role}" + (f" zone={zone_id}" if zone_id else "")
    detail += f" municipality={municipality}" if municipality else ""
    detail += f" police_zone={police_zone}" if police_zone else ""
    _audit(session, actor_id, "user.create", user.id, detail, audit_municipality)
    return user


def _scope_in(
    held: Municipalities, role: str, municipality: str | None, police_zone: str | None
) -> tuple[str | None, str | None]:
    """Return the municipality and police zone as the dataset names them, or raise UserError."""
    try:
        if municipality:
            return held.find(municipality).name, None
        if police_zone:
            return None, held.police_zone(police_zone).name
    except UnknownMunicipalityError as exc:
        raise UserError(str(exc)) from None
    if role == "coordinator":
        return None, None
    if len(held.names) == 1:  # one municipality: nothing to choose
        return held.names[0], None
    also = " or --police-zone" if role == "police" and held.police_zones else ""
    raise UserError(
        f"a {role} account needs --municipality{also}: this dataset holds "
        f"{', '.join(held.names)}"
        + (f" (police zones: {', '.join(z.name for z in held.police_zones)})" if also else "")
    )


def list_users(session: Session) -> list[User]:
    """Return every staff account, by role and e-mail address."""
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def remove_user(
    session: Session, email: str, *, actor_id: str | None = None
) -> Literal["deleted", "deactivated"]:
    """Delete an account, or only deactivate it when proposals still name it."""
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise UnknownUserError(f"no account for {email}")
    referenced = session.scalar(
        select(func.count())
        .select_from(Proposal)
        .where(or_(Proposal.created_by == user.id, Proposal.decided_by == user.id))
    )
    if referenced:
        # Decisions must stay attributable, so the row stays and can no longer sign in.
        user.active = False
        _audit(session, actor_id, "user.deactivate", user.id, f"{referenced} proposal(s)")
        return "deactivated"
    session.delete(user)
    _audit(session, actor_id, "user.delete", user.id, f"role={user.role}")
    return "deleted"


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    actor_id: str | None,
    audit_municipality: str | None = None,
) -> None:
    """Give an account a new password and end its sessions (changed by its owner, or reset)."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_user_sessions(session, user.id)
    action = "user.password" if actor_id == user.id else "user.password_reset"
    _audit(session, actor_id, action, user.id, "", audit_municipality)


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password after checking the current one (InvalidCredentialsError)."""
    # The same check as signing in: a stolen session cannot take the account over without it.
    authenticate(session, user.email, current)
    set_password(session, user, new, actor_id=user.id, audit_municipality=user.municipality)


def set_active(
    session: Session,
    user: User,
    active: bool,
    *,
    actor_id: str | None,
    audit_municipality: str | None = None,
) -> None:
    """Disable an account (it signs in no more, its sessions end) or enable it again."""
    user.active = active
    if not active:
        end_user_sessions(session, user.id)
    action = "user.activate" if active else "user.deactivate"
    _audit(session, actor_id, action, user.id, "", audit_municipality)


def _audit(
    session: Session,
    actor_id: str | None,
    action: str,
    user_id: str,
    detail: str,
    municipality: str | None = None,
) -> None:
    # ``municipality`` puts the event in that municipality's audit log (the /beheer pages).
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type="user",
            object_id=user_id,
            detail=detail,
            municipality=municipality,
        )
    )
