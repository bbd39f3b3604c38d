"""The accounts of one municipality, as its staff manage them on ``/beheer/gemeente/accounts``.

A municipality's accounts are its police and municipality accounts and the coordinators of its
zones. Its staff add them (with a first password, shown once: mail10's invitation by mail comes
on top), disable and enable them, and give one a new password; and an approved application for a
*new* group gets its coordinator account once the group's zone exists. Every change is audited in
the municipality's log (``service.users``). An account of another municipality is unknown (404).

Messages are Dutch: they are shown next to the form field they name.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.normalize import place_key
from service import account_links
from service.registrations.events import audit
from service.registrations.status import move
from service.scope import staff_scope
from service.tables import Registration, User
from service.users import (
    DuplicateUserError,
    UnknownUserError,
    UserError,
    create_user,
    normalize_email,
    set_active,
    set_password,
)
from zones.dataset import Dataset
from zones.errors import ForbiddenError
from zones.schema import Zone

ROLES_ADDED = ("coordinator", "police", "municipality")
# A first or reset password: 16 URL-safe characters (96 bits), above the 12-character minimum.
PASSWORD_BYTES = 12


class AccountError(UserError):
    """An account change the form refuses; ``field`` names the form field the message belongs to."""

    code = "invalid_account"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class NewPassword:
    """An account and the password it was just given (shown once, never stored in clear)."""

    user: User
    password: str


def _zone_municipalities(dataset: Dataset) -> dict[str, set[str]]:
    # Which municipalities' addresses each zone holds, derived once per zone side.
    cached = dataset.derived.get("zone_municipalities")
    if cached is not None:
        return dict(cached)
    register, table = dataset.register, dataset.table
    primary = np.asarray(table.primary)
    inside = primary >= 0
    pairs = np.unique(np.stack([primary[inside], register.street_of[inside]]), axis=1)
    found: dict[str, set[str]] = defaultdict(set)
    for z, s in pairs.T.tolist():
        found[table.zone_ids[z]].add(register.streets[s].municipality)
    dataset.derived["zone_municipalities"] = dict(found)
    return dict(found)


def zone_municipality(dataset: Dataset, zone_id: str | None) -> str | None:
    """Return the (first) municipality whose addresses a zone holds, for its audit events."""
    names = dataset.municipalities.names
    if len(names) <= 1:
        return names[0] if names else dataset.meta.name
    held = sorted(_zone_municipalities(dataset).get(zone_id or "", set()))
    return held[0] if held else None


def municipality_zones(dataset: Dataset, municipality: str) -> list[Zone]:
    """Return the active zones with addresses of a municipality (every zone in a one-town dataset)."""
    names = dataset.municipalities.names
    if len(names) <= 1:
        single = names[0] if names else dataset.meta.name
        return list(dataset.zones.active()) if place_key(single) == place_key(municipality) else []
    held = _zone_municipalities(dataset)
    return [z for z in dataset.zones.active() if municipality in held.get(z.id, set())]


def accounts_of(session: Session, dataset: Dataset, municipality: str) -> list[User]:
    """Return the municipality's accounts: its police and staff, and its zones' coordinators."""
    zone_ids = [z.id for z in municipality_zones(dataset, municipality)]
    query = select(User).where(
        (User.municipality == municipality)
        | ((User.role == "coordinator") & User.zone_id.in_(zone_ids))
    )
    return list(session.scalars(query.order_by(User.role, User.email)))


def police_zone_accounts(session: Session, dataset: Dataset, municipality: str) -> list[User]:
    """Return the accounts of the police zone the municipality is in: they vet its residents too.

    Shown to the municipality so that it knows who sees its residents' applications; the police
    zone's accounts are not the municipality's to manage (`accounts_of` leaves them out).
    """
    query = select(User).where((User.role == "police") & User.police_zone.is_not(None))
    return [
        u
        for u in session.scalars(query.order_by(User.email))
        if dataset.municipalities.police_zones and _acts_for(u, dataset, municipality)
    ]


def _acts_for(user: User, dataset: Dataset, municipality: str) -> bool:
    try:
        return municipality in staff_scope(user, dataset)
    except ForbiddenError:  # a police zone this dataset does not hold
        return False


def account_of(session: Session, dataset: Dataset, municipality: str, user_id: str) -> User:
    """Return one account of the municipality; another's is as unknown as a missing one."""
    user = session.get(User, user_id) if len(user_id) <= 32 else None
    if user is None or user not in accounts_of(session, dataset, municipality):
        raise UnknownUserError(f"onbekend account: {user_id[:32]}")
    return user


def _first_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def _zone(dataset: Dataset, municipality: str, zone_id: str) -> str:
    if zone_id not in {z.id for z in municipality_zones(dataset, municipality)}:
        raise AccountError("zone", "Kies de zone van de coördinator: een zone van uw gemeente.")
    return zone_id


def _checked(
    dataset: Dataset, municipality: str, email: str, role: str, zone_id: str | None
) -> tuple[str, str | None]:
    """Return the normalised e-mail and the zone (coordinators only) of a new account, or refuse."""
    try:
        email = normalize_email(email)
    except UserError:
        raise AccountError(
            "email", "Vul een geldig e-mailadres in, zoals naam@gemeente.be."
        ) from None
    if role not in ROLES_ADDED:
        raise AccountError("role", "Kies de rol: coördinator, politie of gemeente.")
    return email, _zone(dataset, municipality, zone_id or "") if role == "coordinator" else None


def add_account(
    session: Session,
    dataset: Dataset,
    municipality: str,
    actor: User,
    *,
    email: str,
    role: str,
    zone_id: str | None = None,
) -> NewPassword:
    """Add an account to the municipality with a first password; a coordinator gets a zone."""
    email, zone = _checked(dataset, municipality, email, role, zone_id)
    password = _first_password()
    try:
        user = create_user(
            session,
            email,
            password,
            role,
            zone_id=zone,
            municipality=municipality,
            actor_id=actor.id,
            audit_municipality=municipality,
        )
    except DuplicateUserError:
        raise AccountError("email", "Er bestaat al een account met dit e-mailadres.") from None
    return NewPassword(user, password)


def invite_account(
    session: Session,
    dataset: Dataset,
    municipality: str,
    actor: User,
    *,
    email: str,
    role: str,
    zone_id: str | None = None,
) -> User:
    """Add an account to the municipality and mail its owner a link to choose a password."""
    email, zone = _checked(dataset, municipality, email, role, zone_id)
    try:
        return account_links.invite(
            session,
            email,
            role,
            zone_id=zone,
            municipality=municipality,
            actor_id=actor.id,
            audit_municipality=municipality,
        )
    except DuplicateUserError:
        raise AccountError("email", "Er bestaat al een account met dit e-mailadres.") from None


def mail_reset_link(
    session: Session, dataset: Dataset, municipality: str, actor: User, user_id: str
) -> bool:
    """Mail an account of the municipality a link to choose a new password (False: just sent)."""
    user = account_of(session, dataset, municipality, user_id)
    return account_links.send_reset(session, user, actor.id, audit_municipality=municipality)


def set_account_active(
    session: Session,
    dataset: Dataset,
    municipality: str,
    actor: User,
    user_id: str,
    active: bool,
) -> User:
    """Disable (or enable again) an account of the municipality; one's own cannot be disabled."""
    user = account_of(session, dataset, municipality, user_id)
    if user.id == actor.id and not active:
        raise AccountError("account", "U kunt uw eigen account niet uitschakelen.")
    set_active(session, user, active, actor_id=actor.id, audit_municipality=municipality)
    return user


def reset_password(
    session: Session, dataset: Dataset, municipality: str, actor: User, user_id: str
) -> NewPassword:
    """Give an account of the municipality a new password (its sessions end); shown once."""
    user = account_of(session, dataset, municipality, user_id)
    password = _first_password()
    set_password(session, user, password, actor_id=actor.id, audit_municipality=municipality)
    return NewPassword(user, password)


def new_group_coordinators(session: Session, municipality: str) -> list[Registration]:
    """Return the approved applications to coordinate a new group that have no zone yet."""
    query = select(Registration).where(
        Registration.municipality == municipality,
        Registration.role == "coordinator",
        Registration.new_group.is_(True),
        Registration.zone_id.is_(None),
        Registration.status == "approved",
    )
    return list(session.scalars(query.order_by(Registration.decided_at, Registration.id)))


def coordinator_for_application(
    session: Session,
    dataset: Dataset,
    municipality: str,
    actor: User,
    *,
    registration_id: str,
    zone_id: str,
    email: str,
) -> NewPassword:
    """Give an approved new-group applicant the coordinator account of their (now approved) zone.

    The application joins that zone as its first member, already in the WhatsApp group: the
    coordinator starts it.
    """
    candidates = {r.id: r for r in new_group_coordinators(session, municipality)}
    row = candidates.get(registration_id)
    if row is None:
        raise UnknownUserError(f"onbekende aanmelding: {registration_id[:32]}")
    made = add_account(
        session,
        dataset,
        municipality,
        actor,
        email=email,
        role="coordinator",
        zone_id=_zone(dataset, municipality, zone_id),
    )
    row.zone_id, row.new_group = zone_id, False
    audit(session, actor.id, "registration.assign", row, f"zone={zone_id} coordinator account")
    move(session, row, "added", actor.id)
    return made
