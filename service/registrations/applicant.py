"""The applicant's side: submitting, and what the private link allows (status, export, withdraw)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.mail import notices
from service.registrations.errors import (
    AddressNotFoundError,
    AmbiguousAddressError,
    NoGroupError,
    UnknownRegistrationError,
)
from service.registrations.events import audit
from service.registrations.input import RegistrationIn
from service.registrations.retention import erase
from service.registrations.status import STATUS_MESSAGES, STEPS, clock, move, status_message
from service.tables import AuditEvent, Consent, Registration
from zones.errors import LookupInputError
from zones.lookup import Locator
from zones.municipal import municipality_rules
from zones.results import ZoneRef
from zones.rules import GroupRules

TOKEN_BYTES = 32
ERASED = "Uw gegevens zijn gewist."


@dataclass(frozen=True)
class Submitted:
    """A stored application, its group (None: no zone yet) and the private token (shown once)."""

    registration: Registration
    group: ZoneRef | None
    token: str


def token_hash(token: str) -> str:
    """Return the stored form of a private token (SHA-256: the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def rules_for_address(locator: Locator, address: str | None) -> GroupRules:
    """Return the rules an applicant at `address` accepts: their municipality's own, if it has one.

    In a dataset of several municipalities each may have its own rules text (``dataset.json``);
    an address not (yet) found, or typed badly, gets the dataset's rules. Raises
    `RulesMissingError` when the dataset has none.
    """
    dataset = locator.ds
    municipality = None
    if address and address.strip():
        try:
            found = locator.lookup(address).address
        except LookupInputError:
            found = None
        municipality = found.municipality if found is not None else None
    return municipality_rules(dataset, municipality)


def submit(
    session: Session,
    locator: Locator,
    rules: GroupRules,
    data: RegistrationIn,
    now: datetime | None = None,
    channel: Literal["api", "form"] = "api",
) -> Submitted:
    """Look the address up, store the application with its three consents, and return a token."""
    now = clock(now)
    result = locator.lookup(data.address)
    if result.status == "not_found":
        raise AddressNotFoundError(result.message)
    if result.status == "ambiguous":
        raise AmbiguousAddressError(
            "We weten niet zeker welk adres u bedoelt. Kies een van deze adressen.",
            [_one_line(c.address) for c in result.candidates],
        )
    address = result.address
    assert address is not None  # found and no_zone always carry the register's address
    if address.housenumber is None:
        raise AddressNotFoundError("Vul ook uw huisnummer in.")
    group = result.zones[0] if result.zones else None
    if group is None and data.role == "participant":
        raise NoGroupError(
            "Voor dit adres is er nog geen WABP-groep. U kunt zich wel aanmelden als coördinator "
            "om er een te starten."
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    registration = Registration(
        token_hash=token_hash(token),
        role=data.role,
        status="pending",
        name=data.name,
        phone=data.phone,
        email=str(data.email) if data.email else None,
        relation=data.relation,
        street=address.street,
        housenumber=address.housenumber,
        box=address.box,
        postcode=address.postcode,
        municipality=address.municipality,
        zone_id=group.id if group else None,
        created_at=now,
    )
    for purpose, text in (
        ("rules", rules.rules),
        ("statement", rules.statement),
        ("police", None),
    ):
        # Consent to the police check has no versioned text of its own: it is the form's wording,
        # so it is tied to the statement's version.
        text = text or rules.statement
        registration.consents.append(
            Consent(
                purpose=purpose,
                version=text.version,
                text_sha256=text.sha256,
                given_at=now,
                channel=channel,
            )
        )
    session.add(registration)
    session.flush()
    audit(
        session, None, "registration.submit", registration, f"role={data.role} via={channel}", now
    )
    # In this transaction: the application and its mails are stored together or not at all.
    notices.applicant_confirmation(session, registration, token)
    # Police-zone accounts vet every municipality of their zone: they are told too.
    zones = [
        z.name
        for z in locator.ds.municipalities.police_zones
        if registration.municipality in z.municipalities
    ]
    notices.police_new_application(session, registration, now, police_zones=zones)
    return Submitted(registration, group, token)


def _one_line(address: Any) -> str:
    number = f" {address.housenumber}" if address.housenumber else ""
    box = f" bus {address.box}" if address.box else ""
    return f"{address.street}{number}{box}, {address.postcode} {address.municipality}"


def full_address(registration: Registration) -> str:
    """Return the registration's address on one line, as the register writes it."""
    return _one_line(registration)


def by_token(session: Session, token: str) -> Registration:
    """Return the registration of a private token; an unknown one and an erased one look alike."""
    if not token or len(token) > 100:
        raise UnknownRegistrationError("Deze aanmelding bestaat niet (meer).")
    row = session.scalar(select(Registration).where(Registration.token_hash == token_hash(token)))
    if row is None:
        raise UnknownRegistrationError("Deze aanmelding bestaat niet (meer).")
    return row


def export_data(session: Session, token: str) -> dict[str, Any]:
    """Return everything stored about the applicant of a token (GDPR Art. 15), and audit it."""
    row = by_token(session, token)
    history = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "registration", AuditEvent.object_id == row.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    data = {
        "id": row.id,
        "role": row.role,
        "status": row.status,
        "message": status_message(row),
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "relation": row.relation,
        "address": {
            "street": row.street,
            "housenumber": row.housenumber,
            "box": row.box,
            "postcode": row.postcode,
            "municipality": row.municipality,
        },
        "zone_id": row.zone_id,
        "new_group": row.new_group,
        "created_at": row.created_at.isoformat(),
        "decided_at": _iso(row.decided_at),
        "added_at": _iso(row.added_at),
        "leaving_at": _iso(row.leaving_at),
        "removed_at": _iso(row.removed_at),
        "consents": [
            {
                "purpose": c.purpose,
                "version": c.version,
                "text_sha256": c.text_sha256,
                "given_at": c.given_at.isoformat(),
                "channel": c.channel,
            }
            for c in row.consents
        ],
        # Who saw or changed the record: the kind of actor only (staff ids mean nothing outside).
        "history": [
            {"at": e.at.isoformat(), "action": e.action, "by": "staff" if e.actor_id else "you"}
            for e in history
        ],
    }
    audit(session, None, "registration.export", row)
    return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def withdraw(
    session: Session, token: str, now: datetime | None = None
) -> Literal["erased", "leaving"]:
    """Withdraw: erase now, or, when the coordinator may have the number, leave via a removal task."""
    row = by_token(session, token)
    if row.status in STEPS["leaving"].start:
        move(session, row, "leaving", None, now)
    if row.status == "leaving":
        notices.applicant_withdrawn(session, row.email, STATUS_MESSAGES["leaving"], row.id)
        return "leaving"
    email = row.email
    erase(session, row, "withdrawn", now)
    # Not tied to the erased registration: the confirmation of an erasure outlives it until sent.
    notices.applicant_withdrawn(session, email, ERASED, None)
    return "erased"
