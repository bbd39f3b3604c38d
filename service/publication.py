"""What a municipality publishes about its groups: its own contact, and each group's public contact.

- The municipality's contact (phone, e-mail, e-loket URL) goes into ``dataset.json`` (``contact``,
  ``contact_url``): every page that tells residents to contact the municipality reads it from
  there (``zones.nextsteps.contacts_of``: the lookup's next steps, the live and published site).
- A group's public contact is the zone's ``how_to_join``: who or where to ask. Publishing a name or
  e-mail is the coordinator's choice, so only the coordinator sets it, with a consent that is
  recorded in the audit log (who, when; the text itself is in the zone, not in the log). Setting or
  withdrawing it makes a new generation of the zones, as any change of what is published does.

Errors carry the form field they belong to and a Dutch message.
"""

from __future__ import annotations

import json
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from geo.files import atomic_write_text
from service.state import ServiceState
from service.tables import AuditEvent, User
from zones.errors import InvalidError
from zones.schema import Zone, ZoneSet

MAX_CONTACT = 300  # dataset.json's contact field
MAX_GROUP_CONTACT = 1000  # a zone's how_to_join
URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")


class PublicationError(InvalidError):
    """A published text the form refuses; ``field`` names the form field."""

    code = "invalid_publication"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def _phone(value: str) -> str:
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise PublicationError("phone", "Vul een geldig telefoonnummer in, zoals 011 59 00 00.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _email(value: str) -> str:
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PublicationError("email", "Vul een geldig e-mailadres in.") from None


def _url(value: str) -> str | None:
    if not value:
        return None
    if len(value) > MAX_CONTACT or not URL.match(value):
        raise PublicationError(
            "url", "Vul het webadres van het e-loket in, beginnend met https://."
        )
    return value


def contact_text(phone: str, email: str) -> str | None:
    """Write the municipality's contact as residents read it (None when there is none)."""
    parts = [f"tel. {phone}" if phone else "", f"e-mail {email}" if email else ""]
    return ", ".join(p for p in parts if p) or None


def set_municipality_contact(
    session: Session,
    state: ServiceState,
    actor: User,
    municipality: str,
    *,
    phone: str,
    email: str,
    url: str,
) -> None:
    """Publish the municipality's contact for residents (phone, e-mail, e-loket) and reload."""
    text, link = contact_text(_phone(phone), _email(email)), _url(url)
    if text is None and link is None:
        raise PublicationError("phone", "Geef minstens een telefoonnummer, e-mailadres of e-loket.")
    path = state.current.dataset.paths.meta
    meta = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    listed = meta.get("municipalities") or []
    entry = next((m for m in listed if m.get("name") == municipality), None)
    if entry is not None:  # a dataset of several municipalities: each has its own contact
        entry["contact"] = ", ".join(p for p in (text, link) if p)
    else:
        meta["contact"], meta["contact_url"] = text, link
    atomic_write_text(path, json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    state.reload()
    session.add(
        AuditEvent(
            actor_id=actor.id,
            action="publication.contact",
            object_type="publication",
            object_id="contact",
            municipality=municipality,
        )
    )


def set_group_contact(
    session: Session,
    state: ServiceState,
    coordinator: User,
    municipality: str | None,
    *,
    text: str,
    consent: bool,
) -> None:
    """Publish (or withdraw, with an empty text) the public contact of the coordinator's group."""
    text = " ".join(text.split())
    if len(text) > MAX_GROUP_CONTACT:
        raise PublicationError("contact", f"Hoogstens {MAX_GROUP_CONTACT} tekens.")
    if text and not consent:
        raise PublicationError(
            "consent", "Vink aan dat u akkoord gaat met het publiceren van dit contact."
        )
    current = state.follow()  # another instance may have committed a generation
    zones = current.dataset.zones
    target = zones.get(coordinator.zone_id or "")
    changed = [
        Zone(z.props.model_copy(update={"how_to_join": text or None}), z.geometry)
        if z.id == target.id
        else z
        for z in zones
    ]
    # The new generation and its audit event in one transaction, then served (and exported).
    state.generations.add(
        session,
        ZoneSet(changed),
        expected=current.generation,
        note="publiek contact van de groep " + ("gewijzigd" if text else "ingetrokken"),
        source=f"contact:{target.id}",
    )
    session.add(
        AuditEvent(
            actor_id=coordinator.id,
            action="group.contact",
            object_type="zone",
            object_id=target.id,
            # Who consented and when is the event itself; the published text stays in the zone.
            detail="consent given" if text else "consent withdrawn",
            municipality=municipality,
        )
    )
    session.commit()
    state.follow()
