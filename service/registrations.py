"""Registrations: residents apply, the police vet, coordinators add; personal data kept lean.

Plain domain code (no HTTP): the JSON API (``service.routes.registrations``) and the HTML form both
call it. Every change and every staff read writes an audit event that names ids, never a person.

Errors (``service.errors`` maps them to status codes)::

    RegistrationError              422 a registration that cannot be made or changed
     ├── AddressError               422 the address decides the group, and this one cannot
     │    ├── AddressNotFoundError   the register does not know it
     │    ├── AmbiguousAddressError  several addresses fit (carries the candidates)
     │    └── NoGroupError           in no zone: only a coordinator of a new group may apply
     ├── UnknownRegistrationError   404 no such registration (or not one the caller may see)
     ├── RegistrationStateError     409 not possible in the current status
     └── GroupFullError             409 the group reached the member cap
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service.tables import AuditEvent, Consent, Registration
from zones.lookup import Locator
from zones.results import ZoneRef
from zones.rules import GroupRules

TOKEN_BYTES = 32
MAX_NAME = 100
MAX_ADDRESS = 200
MAX_PHONE = 30
# Members the coordinator has or will have in the WhatsApp group: they count against the cap.
MEMBER_STATUSES = ("approved", "added", "leaving")
ACTIVE_STATUSES = ("pending", *MEMBER_STATUSES)


class RegistrationError(Exception):
    """A registration that cannot be made or changed; the message (Dutch) says what to do."""


class AddressError(RegistrationError):
    """The address cannot decide a group."""


class AddressNotFoundError(AddressError):
    """The register does not know the address."""


class AmbiguousAddressError(AddressError):
    """Several register addresses fit what was typed; the applicant picks one."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        self.candidates = candidates
        super().__init__(message)


class NoGroupError(AddressError):
    """The address is in no zone, and only a coordinator of a new group may apply there."""


class UnknownRegistrationError(RegistrationError, KeyError):
    """No registration with this id or token, or one the caller may not see."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "onbekende aanmelding"


class RegistrationStateError(RegistrationError):
    """The action does not fit the registration's status."""


class GroupFullError(RegistrationError):
    """The group already has as many members as a WhatsApp group can hold."""


# --- input -------------------------------------------------------------------------------------

# Unicode categories refused in a name: control characters, and format characters such as
# right-to-left overrides, which can make a name display differently from what is stored.
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in _BAD_CATEGORIES for c in value):
        raise ValueError("de naam bevat een onzichtbaar of stuurteken")
    # Refused rather than escaped: no real name needs < or >, and a stored "<script>" would be one
    # unescaped template away from running in a coordinator's browser.
    if "<" in value or ">" in value:
        raise ValueError("een naam mag geen < of > bevatten")
    if not any(c.isalpha() for c in value):
        raise ValueError("vul uw naam in")
    return " ".join(value.split())


def normalize_phone(value: str) -> str:
    """Return a mobile number in E.164 (Belgian numbers may omit +32); raise ValueError otherwise."""
    if len(value) > MAX_PHONE:
        raise ValueError(f"een telefoonnummer heeft hoogstens {MAX_PHONE} tekens")
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        raise ValueError("dit is geen telefoonnummer") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("dit is geen geldig telefoonnummer")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("WhatsApp werkt alleen met een gsm-nummer; geef uw gsm-nummer op")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _empty_is_none(value: Any) -> Any:
    # An HTML form sends an empty field as "": that means "no e-mail address".
    return None if isinstance(value, str) and not value.strip() else value


def _must_be_true(message: str) -> Any:
    def check(value: bool) -> bool:
        if value is not True:
            raise ValueError(message)
        return value

    return AfterValidator(check)


Name = Annotated[str, StringConstraints(max_length=4 * MAX_NAME), AfterValidator(_clean_name)]


class RegistrationIn(BaseModel):
    """An application as the resident submits it (JSON API or HTML form)."""

    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    role: Literal["participant", "coordinator"] = Field(
        description="participant (join the group) or coordinator (lead it, or start a new group)"
    )
    name: Name = Field(description=f"first and last name, at most {MAX_NAME} characters")
    address: str = Field(
        min_length=1, max_length=MAX_ADDRESS, description="street, number, box, postcode"
    )
    phone: str = Field(
        min_length=1, max_length=MAX_PHONE, description="mobile number; 0470 12 34 56 or +32..."
    )
    email: Annotated[EmailStr | None, BeforeValidator(_empty_is_none)] = Field(
        default=None, max_length=254, description="optional"
    )
    adult: Annotated[bool, _must_be_true("u moet meerderjarig zijn om deel te nemen")]
    relation: Literal["live", "work"] = Field(description="live or work at the address")
    accept_rules: Annotated[bool, _must_be_true("aanvaard het huishoudelijk reglement")]
    accept_statement: Annotated[bool, _must_be_true("onderteken de intentieverklaring")]
    consent_police: Annotated[
        bool, _must_be_true("zonder toestemming kan de politie uw aanmelding niet nakijken")
    ]

    @field_validator("name")
    @classmethod
    def _name_length(cls, value: str) -> str:
        if len(value) > MAX_NAME:
            raise ValueError(f"een naam heeft hoogstens {MAX_NAME} tekens")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("vul uw adres in")
        return value


# --- submitting and the applicant's own view -----------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """A stored application, its group (None: no zone yet) and the private token (shown once)."""

    registration: Registration
    group: ZoneRef | None
    token: str


def token_hash(token: str) -> str:
    """Return the stored form of a private token (SHA-256: the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def audit(
    session: Session,
    actor_id: str | None,
    action: str,
    registration: Registration,
    detail: str = "",
) -> None:
    """Record an action on a registration (ids and status only, never personal data)."""
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type="registration",
            object_id=registration.id,
            detail=detail,
            municipality=registration.municipality,
        )
    )


def submit(
    session: Session,
    locator: Locator,
    rules: GroupRules,
    data: RegistrationIn,
    now: datetime | None = None,
    channel: Literal["api", "form"] = "api",
) -> Submitted:
    """Look the address up, store the application with its three consents, and return a token."""
    now = _now(now)
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
    audit(session, None, "registration.submit", registration, f"role={data.role} via={channel}")
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


STATUS_MESSAGES = {
    "pending": "Uw aanmelding is ontvangen. De politie kijkt ze na; dat kan enkele weken duren.",
    "approved": (
        "Uw aanmelding is goedgekeurd. De coördinator van uw groep voegt u binnenkort toe aan de "
        "WhatsApp-groep."
    ),
    "refused": (
        "Uw aanmelding kan niet worden goedgekeurd. Uw gegevens worden binnenkort gewist. "
        "Met vragen kunt u terecht bij de lokale politie."
    ),
    "added": "U bent lid van de WhatsApp-groep.",
    "leaving": (
        "Uw vertrek is gemeld. De coördinator verwijdert u uit de WhatsApp-groep; daarna worden uw "
        "gegevens gewist."
    ),
    "removed": "U bent geen lid meer van de WhatsApp-groep.",
}
NEW_GROUP_APPROVED = (
    "Uw aanmelding als coördinator is goedgekeurd. De gemeente neemt contact met u op om de nieuwe "
    "groep te starten."
)


def status_message(registration: Registration) -> str:
    """Return the neutral Dutch sentence the applicant reads for their status."""
    if registration.status == "approved" and registration.role == "coordinator":
        return NEW_GROUP_APPROVED
    return STATUS_MESSAGES[registration.status]


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
    if row.status in ("approved", "added"):
        row.status, row.leaving_at = "leaving", _now(now)
        audit(session, None, "registration.leaving", row)
        return "leaving"
    if row.status == "leaving":
        return "leaving"
    erase(session, row, "withdrawn")
    return "erased"


def erase(session: Session, registration: Registration, reason: str) -> None:
    """Delete a registration and its consents; the audit log keeps only the id and the reason."""
    audit(session, None, "registration.erase", registration, f"reason={reason}")
    session.delete(registration)
    session.flush()


# --- staff: police and municipality ------------------------------------------------------------


def _staff_get(session: Session, registration_id: str, municipality: str) -> Registration:
    row = session.get(Registration, registration_id) if len(registration_id) <= 64 else None
    # Another municipality's application is as unknown as a missing one: ids reveal nothing.
    if row is None or row.municipality != municipality:
        raise UnknownRegistrationError(f"onbekende aanmelding: {registration_id[:64]}")
    return row


def list_for_staff(
    session: Session,
    municipality: str,
    actor_id: str,
    *,
    status: str | None = None,
    unassigned: bool = False,
    limit: int = 100,
) -> list[Registration]:
    """Return the applications of one municipality (oldest first); each one shown is audited."""
    query = select(Registration).where(Registration.municipality == municipality)
    if status is not None:
        query = query.where(Registration.status == status)
    if unassigned:
        query = query.where(Registration.zone_id.is_(None), Registration.new_group.is_(False))
    rows = list(
        session.scalars(query.order_by(Registration.created_at, Registration.id).limit(limit))
    )
    for row in rows:
        audit(session, actor_id, "registration.read", row)
    return rows


def get_for_staff(
    session: Session, registration_id: str, municipality: str, actor_id: str
) -> Registration:
    """Return one application of the municipality, and audit the read."""
    row = _staff_get(session, registration_id, municipality)
    audit(session, actor_id, "registration.read", row)
    return row


def duplicates(session: Session, registration: Registration) -> int:
    """Count the other open applications with the same phone number (shown to the police only)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.phone == registration.phone,
                Registration.id != registration.id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        or 0
    )


def group_fill(session: Session, zone_id: str) -> int:
    """Count the members a group has or is about to have (approved, added, leaving)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.zone_id == zone_id, Registration.status.in_(MEMBER_STATUSES))
        )
        or 0
    )


def approve(
    session: Session,
    registration_id: str,
    municipality: str,
    actor_id: str,
    member_cap: int,
    now: datetime | None = None,
) -> Registration:
    """Approve a pending application; refused when its group is full or undecided."""
    row = _pending(session, registration_id, municipality)
    if row.zone_id is None and not row.new_group:
        raise RegistrationStateError(
            "Dit adres ligt in geen enkele zone: kies eerst een groep of 'nieuwe groep'."
        )
    if row.zone_id is not None:
        filled = group_fill(session, row.zone_id)
        if filled >= member_cap:
            raise GroupFullError(
                f"De groep {row.zone_id} is vol: {filled} van de {member_cap} leden die een "
                "WhatsApp-groep kan hebben. Splits de zone of wijs een andere groep toe."
            )
    row.status, row.decided_at, row.decided_by = "approved", _now(now), actor_id
    audit(session, actor_id, "registration.approve", row)
    return row


def refuse(
    session: Session,
    registration_id: str,
    municipality: str,
    actor_id: str,
    now: datetime | None = None,
) -> Registration:
    """Refuse a pending application: only the decision is kept, never a reason."""
    row = _pending(session, registration_id, municipality)
    # Nothing but what the applicant needs to read the outcome stays until the purge.
    row.status, row.decided_at, row.decided_by = "refused", _now(now), actor_id
    row.email = None
    audit(session, actor_id, "registration.refuse", row)
    return row


def assign_group(
    session: Session,
    registration_id: str,
    municipality: str,
    actor_id: str,
    *,
    zone_id: str | None,
    known_zones: Collection[str],
) -> Registration:
    """Put a pending application in a zone, or (zone_id None) mark it as a new group."""
    row = _pending(session, registration_id, municipality)
    if zone_id is not None and zone_id not in known_zones:
        raise RegistrationError(f"onbekende zone: {zone_id[:64]}")
    row.zone_id, row.new_group = zone_id, zone_id is None
    audit(session, actor_id, "registration.assign", row, f"zone={zone_id or 'new'}")
    return row


def _pending(session: Session, registration_id: str, municipality: str) -> Registration:
    row = _staff_get(session, registration_id, municipality)
    if row.status != "pending":
        raise RegistrationStateError(f"deze aanmelding is al beslist (status {row.status})")
    return row


# --- coordinators ------------------------------------------------------------------------------


def members(session: Session, zone_id: str, actor_id: str) -> list[Registration]:
    """Return a group's approved, added and leaving members (a read of personal data: audited)."""
    rows = list(
        session.scalars(
            select(Registration)
            .where(Registration.zone_id == zone_id, Registration.status.in_(MEMBER_STATUSES))
            .order_by(Registration.status, Registration.street, Registration.id)
        )
    )
    for row in rows:
        audit(session, actor_id, "member.read", row)
    return rows


def _member(session: Session, zone_id: str, registration_id: str) -> Registration:
    row = session.get(Registration, registration_id) if len(registration_id) <= 64 else None
    if row is None or row.zone_id != zone_id or row.status not in (*MEMBER_STATUSES, "removed"):
        raise UnknownRegistrationError(f"onbekend lid: {registration_id[:64]}")
    return row


def mark_added(
    session: Session,
    zone_id: str,
    registration_id: str,
    actor_id: str,
    now: datetime | None = None,
) -> Registration:
    """Record that the coordinator added an approved member to the WhatsApp group."""
    row = _member(session, zone_id, registration_id)
    if row.status != "approved":
        raise RegistrationStateError(
            f"alleen een goedgekeurd lid kan worden toegevoegd ({row.status})"
        )
    row.status, row.added_at = "added", _now(now)
    audit(session, actor_id, "member.added", row)
    return row


def mark_removed(
    session: Session,
    zone_id: str,
    registration_id: str,
    actor_id: str,
    now: datetime | None = None,
) -> Literal["erased", "removed"]:
    """Record a removal from the WhatsApp group; a member who asked to leave is erased now."""
    row = _member(session, zone_id, registration_id)
    if row.status == "removed":
        raise RegistrationStateError("dit lid is al verwijderd")
    audit(session, actor_id, "member.removed", row)
    if row.status == "leaving":
        erase(session, row, "left")
        return "erased"
    row.status, row.removed_at = "removed", _now(now)
    # Kept for the retention period (wabp purge); the e-mail address is no longer needed.
    row.email = None
    return "removed"


# --- the audit log and retention ------------------------------------------------------------


def audit_log(
    session: Session,
    municipality: str,
    *,
    object_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """Return the newest audit events about one municipality's registrations."""
    query = select(AuditEvent).where(AuditEvent.municipality == municipality)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(
        session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class PurgeReport:
    """How many records the retention rules erase (or would erase, in a dry run)."""

    refused: int
    removed: int

    @property
    def total(self) -> int:
        """Return the number of records erased."""
        return self.refused + self.removed


def purge(
    session: Session,
    *,
    refused_days: int,
    removed_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Erase refused applications and removed members older than their retention period."""
    now = _now(now)
    refused_before = now - timedelta(days=refused_days)
    removed_before = now - timedelta(days=removed_days)
    refused = list(
        session.scalars(
            select(Registration)
            .options(selectinload(Registration.consents))
            .where(Registration.status == "refused", Registration.decided_at <= refused_before)
        )
    )
    removed = list(
        session.scalars(
            select(Registration)
            .options(selectinload(Registration.consents))
            .where(Registration.status == "removed", Registration.removed_at <= removed_before)
        )
    )
    if not dry_run:
        for row in refused:
            erase(session, row, "retention-refused")
        for row in removed:
            erase(session, row, "retention-removed")
    return PurgeReport(refused=len(refused), removed=len(removed))
