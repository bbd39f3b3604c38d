"""What a municipality publishes about its groups: its own contact, and each group's public contact.

- The municipality's contact (phone, e-mail, e-loket URL) is shown from ``dataset.json``
  (``contact``, ``contact_url``): every page that tells residents to contact the municipality reads
  it from there (``zones.nextsteps.contacts_of``: the lookup's next steps, the live and published
  site).
- A group's public contact is the zone's ``how_to_join``: who or where to ask. Publishing a name or
  e-mail is the coordinator's choice, so only the coordinator sets it, with a consent that is
  recorded in the audit log (who, when; the text itself is in the zone, not in the log). Setting or
  withdrawing it makes a new generation of the zones, as any change of what is published does.
- The infobord positions are ``infoborden.geojson``: the municipality moves, adds or removes a
  board of its own zones, with an audit event that names the board and the action only.

The contact and the infoborden are edited in the database (``service.published``: the row is
locked, so two edits at once on two instances both stand), committed with their audit event, and
then written to each instance's dataset files and served.

Errors carry the form field they belong to and a Dutch message.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from shapely.geometry import Point
from sqlalchemy.orm import Session

from service.accounts import municipality_zones
from service.published import CONTACT, INFOBORDEN, RULES, PublishedTexts, own_rules
from service.state import ServiceState
from service.tables import AuditEvent, User, utcnow
from zones.dataset import Dataset
from zones.errors import DatasetError, ForbiddenError, InvalidError, NotFoundError
from zones.municipal import municipality_boundary, municipality_rules
from zones.rules import next_version
from zones.schema import Zone, ZoneSet

MAX_CONTACT = 300  # dataset.json's contact field
MAX_GROUP_CONTACT = 1000  # a zone's how_to_join
URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")
MAX_BOARD_NAME = 200  # an infobord's label (zones.storage.InfobordProperties)
MAX_RULES_TEXT = 30_000  # a rules text of several pages; the form shows it whole
RULES_TEXT, STATEMENT_TEXT = "regels", "intentieverklaring"


class PublicationError(InvalidError):
    """A published text the form refuses; ``field`` names the form field."""

    code = "invalid_publication"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class RulesChangedError(PublicationError):
    """Another version of the text was published since the editor opened it (theirs would be lost)."""

    code = "rules_changed"

    def __init__(self, version: str) -> None:
        self.version = version
        super().__init__(
            "text",
            f"Intussen is versie {version} gepubliceerd, waarschijnlijk door een collega. Uw "
            "tekst is niet gepubliceerd en staat hieronder nog. Vergelijk hem met versie "
            f"{version} op de pagina met de regels en publiceer opnieuw als u die wilt vervangen.",
        )


class UnknownBoardError(NotFoundError):
    """No infobord with that id in the municipality's zones."""

    code = "unknown_infobord"


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
    if text is not None and len(text) > MAX_CONTACT:
        # dataset.json holds at most this much: a longer text would stop every instance loading it.
        raise PublicationError(
            "email", f"Telefoon en e-mailadres samen hoogstens {MAX_CONTACT} tekens."
        )
    own = _own_texts(state.current.dataset, municipality, "phone", UNLISTED_CONTACT)
    texts = _texts(state)
    fields: dict[str, Any] = texts.for_update(session, CONTACT) or {}
    if own:  # a dataset of several municipalities: each has its own contact
        own = fields.setdefault("municipalities", {})
        own[municipality] = {"contact": text, "contact_url": link}
    else:
        fields["contact"], fields["contact_url"] = text, link
    texts.save(session, CONTACT, fields)
    _audit(session, actor, municipality, "publication.contact", "publication", "contact")
    session.commit()
    state.follow()  # written to this instance's files and served; other instances follow


def set_rules_text(
    session: Session,
    state: ServiceState,
    actor: User,
    municipality: str,
    which: str,
    text: str,
    *,
    edited: str,
) -> str | None:
    """Publish a new version of the group rules (`which` RULES_TEXT) or the statement of intent.

    The version counts up (`zones.rules.next_version`): from the next application on, residents
    accept the new text under the new version. In a dataset of several municipalities each one
    edits its own rules, under its own version; the statement of intent is one for all, so none
    edits it alone. `edited` is the version the editor started from: when a colleague published
    another since, the text is refused (RulesChangedError) rather than overwriting theirs unseen.
    Returns the version now published, or None when the text is the one already published.
    """
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise PublicationError(
            "text", "De tekst is leeg. Schrijf de tekst die bewoners aanvaarden."
        )
    if len(text) > MAX_RULES_TEXT:
        raise PublicationError("text", f"Hoogstens {MAX_RULES_TEXT} tekens.")
    text += "\n"
    current = state.follow()  # what the database last published, in this instance's files
    if which == STATEMENT_TEXT and len(current.dataset.municipalities.names) > 1:
        raise PublicationError(
            "text",
            "De intentieverklaring geldt voor alle gemeenten van deze dienst; vraag de beheerder "
            "van de dienst om ze aan te passen.",
        )
    own = _own_texts(current.dataset, municipality, "text", UNLISTED_RULES) and which == RULES_TEXT
    try:
        served = municipality_rules(current.dataset, municipality)
    except DatasetError:
        raise PublicationError(
            "text", "Deze dienst heeft geen reglement; vraag de beheerder om het toe te voegen."
        ) from None
    texts = _texts(state)
    content: dict[str, Any] = texts.for_update(session, RULES) or {}
    before = served.statement if which == STATEMENT_TEXT else served.rules
    # What the database holds is the newest (another instance's edit may not be here yet).
    key = "statement" if which == STATEMENT_TEXT else "rules"
    stored = own_rules(content).get(municipality) if own else None
    if stored is not None:
        published, version = stored[0], stored[1] or before.version
    else:
        published = content.get(key, before.text)
        version = str(content.get(f"{key}_version") or before.version)
    if edited != version:
        raise RulesChangedError(version)
    if text == published:
        return None
    version = next_version(version, utcnow().year)
    if own:  # listed in dataset.json: its own rules file and version
        content.setdefault("municipalities", {})[municipality] = {"text": text, "version": version}
    else:
        content[key], content[f"{key}_version"] = text, version
    texts.save(session, RULES, content)
    _audit(
        session,
        actor,
        municipality,
        f"publication.{which}",
        "publication",
        which,
        f"versie {version}",
    )
    session.commit()
    state.follow()  # written to this instance's files and served; other instances follow
    return version


@dataclass(frozen=True)
class RulesText:
    """A text residents accept, as the municipality sees it on ``/beheer/gemeente/regels``."""

    which: str  # RULES_TEXT or STATEMENT_TEXT
    title: str
    version: str
    text: str
    editable: bool
    hint: str


def rules_texts(dataset: Dataset, municipality: str) -> list[RulesText]:
    """Return the group rules and the statement of intent a municipality's residents accept now.

    Empty when the dataset has no rules (registration is off). The statement of intent is shown,
    not editable, in a dataset of several municipalities (it is one for all), and so are the
    rules of one that shares them with the others (not listed in ``dataset.json``).
    """
    try:
        served = municipality_rules(dataset, municipality)
    except DatasetError:
        return []
    several = len(dataset.municipalities.names) > 1
    shared = _shares_texts(dataset, municipality)
    return [
        RulesText(
            RULES_TEXT,
            "Huishoudelijk reglement",
            served.rules.version,
            served.rules.text,
            not shared,
            UNLISTED_RULES
            if shared
            else "Wat een lid van een groep doet en laat: eerst 101 bellen, wat in de groep mag, ...",
        ),
        RulesText(
            STATEMENT_TEXT,
            "Intentieverklaring",
            served.statement.version,
            served.statement.text,
            not several,
            "Geldt voor alle gemeenten van deze dienst; de beheerder van de dienst past ze aan."
            if several
            else "Wat een aanvrager belooft, zoals vertrouwelijk omgaan met wat in de groep gedeeld wordt.",
        ),
    ]


UNLISTED_CONTACT = (
    "Deze gegevens gelden voor meerdere gemeenten; vraag de beheerder van de dienst om de "
    "gemeenten op te sommen in dataset.json, dan heeft elke gemeente haar eigen contact."
)
UNLISTED_RULES = (
    "Dit reglement geldt voor meerdere gemeenten; vraag de beheerder van de dienst om de "
    "gemeenten op te sommen in dataset.json, dan heeft elke gemeente haar eigen reglement."
)


def _own_texts(dataset: Dataset, municipality: str, field: str, unlisted: str) -> bool:
    """Tell whether `municipality` publishes texts of its own (a dataset of several) or the dataset's.

    Refused: a municipality the dataset does not hold (an account kept from an older dataset
    would otherwise set another's texts), and (`unlisted`, on the form's `field`) one municipality
    setting the dataset-wide texts that the residents of every municipality in it read (they
    need the municipalities listed in ``dataset.json``, as ``wabp init`` of several writes them).
    """
    if dataset.municipalities.get(municipality) is None:
        raise ForbiddenError(f"this dataset holds no municipality {municipality!r}")
    if _shares_texts(dataset, municipality):
        raise PublicationError(field, unlisted)
    return municipality in {m.name for m in dataset.meta.municipalities}


def _shares_texts(dataset: Dataset, municipality: str) -> bool:
    """Tell whether `municipality` reads the dataset-wide texts with other municipalities."""
    listed = {m.name for m in dataset.meta.municipalities}
    return municipality not in listed and len(dataset.municipalities.names) > 1


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
        parent=zones,
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


def _coordinate(value: str, field: str, low: float, high: float) -> float:
    """Read a degree as staff type it (a decimal comma is fine); finite and within range."""
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        raise PublicationError(field, "Vul de plaats in graden in, zoals 50,87512 en 5,30418.")
    return number


def _board_point(dataset: Dataset, municipality: str, latitude: str, longitude: str) -> list[float]:
    """Return the GeoJSON position [lon, lat] of a board, refused outside the municipality.

    In a police zone's dataset that is the municipality's own part of the boundary: one
    municipality does not place boards in another's streets.
    """
    lat = _coordinate(latitude, "latitude", -90.0, 90.0)
    lon = _coordinate(longitude, "longitude", -180.0, 180.0)
    boundary = municipality_boundary(dataset, municipality)
    if boundary is not None and not boundary.covers(Point(lon, lat)):
        raise PublicationError(
            "latitude", "Die plaats ligt buiten de gemeente: controleer breedte- en lengtegraad."
        )
    return [lon, lat]


def _texts(state: ServiceState) -> PublishedTexts:
    if state.texts is None:
        raise RuntimeError("this service state follows no published texts")
    return state.texts


def _audit(
    session: Session,
    actor: User,
    municipality: str,
    action: str,
    kind: str,
    object_id: str,
    detail: str = "",
) -> None:
    """Record who published what (names the object only: the text is in what is published)."""
    session.add(
        AuditEvent(
            actor_id=actor.id,
            action=action,
            object_type=kind,
            object_id=object_id,
            detail=detail,
            municipality=municipality,
        )
    )


def _boards(session: Session, state: ServiceState) -> dict[str, Any]:
    """Return the infoborden as last published (the dataset's file before that), locked to edit."""
    data: dict[str, Any] | None = _texts(state).for_update(session, INFOBORDEN)
    if data is not None:
        return data
    path = state.current.dataset.paths.infoborden
    if not path.is_file():
        return {"type": "FeatureCollection", "features": []}
    from_file: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return from_file


def _own_zone_ids(dataset: Dataset, municipality: str) -> set[str]:
    return {z.id for z in municipality_zones(dataset, municipality)}


def _is_own(feature: dict[str, Any], zone_ids: set[str], board_id: str) -> bool:
    """Tell whether a raw feature is board `board_id` of one of the municipality's zones.

    Board ids are not unique across a file (one put together from several municipalities' may
    repeat one): a move or removal touches only the municipality's own board of that id.
    """
    props = feature.get("properties") or {}
    return bool(props.get("id") == board_id and props.get("zone_id") in zone_ids)


def _own_board(data: dict[str, Any], zone_ids: set[str], board_id: str) -> dict[str, Any]:
    """Return the raw feature of a board in one of the municipality's zones (404 otherwise)."""
    for feature in data.get("features") or []:
        if _is_own(feature, zone_ids, board_id):
            return dict(feature)
    raise UnknownBoardError(f"no infobord {board_id!r} in this municipality")


def _save_boards(
    session: Session,
    state: ServiceState,
    actor: User,
    municipality: str,
    data: dict[str, Any],
    *,
    action: str,
    board_id: str,
) -> None:
    """Publish the infoborden with who did what to which board; serve them here, then everywhere."""
    _texts(state).save(session, INFOBORDEN, data)
    _audit(session, actor, municipality, f"infobord.{action}", "infobord", board_id)
    session.commit()
    state.follow()


def move_infobord(
    session: Session,
    state: ServiceState,
    actor: User,
    municipality: str,
    board_id: str,
    *,
    latitude: str,
    longitude: str,
) -> None:
    """Move one of the municipality's infoborden to another place inside its boundary."""
    dataset = state.current.dataset
    position = _board_point(dataset, municipality, latitude, longitude)
    data = _boards(session, state)
    own = _own_zone_ids(dataset, municipality)
    _own_board(data, own, board_id)
    for feature in data["features"]:
        if _is_own(feature, own, board_id):
            feature["geometry"] = {"type": "Point", "coordinates": position}
            # A position the municipality set is the real one, no longer an illustration.
            feature["properties"].pop("illustrative", None)
    _save_boards(session, state, actor, municipality, data, action="move", board_id=board_id)


def add_infobord(
    session: Session,
    state: ServiceState,
    actor: User,
    municipality: str,
    *,
    name: str,
    zone_id: str,
    latitude: str,
    longitude: str,
) -> str:
    """Add an infobord of one of the municipality's zones; return its new id."""
    dataset = state.current.dataset
    name = " ".join(name.split())
    if not name or len(name) > MAX_BOARD_NAME:
        raise PublicationError(
            "name", f"Geef het infobord een naam (hoogstens {MAX_BOARD_NAME} tekens)."
        )
    if zone_id not in _own_zone_ids(dataset, municipality):
        raise PublicationError("zone", "Kies de groep waar het infobord bij hoort.")
    position = _board_point(dataset, municipality, latitude, longitude)
    data = _boards(session, state)
    board_id = f"ib-{secrets.token_hex(4)}"
    data.setdefault("features", []).append(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": position},
            "properties": {"id": board_id, "zone_id": zone_id, "label": name},
        }
    )
    _save_boards(session, state, actor, municipality, data, action="add", board_id=board_id)
    return board_id


def remove_infobord(
    session: Session, state: ServiceState, actor: User, municipality: str, board_id: str
) -> None:
    """Remove one of the municipality's infoborden."""
    dataset = state.current.dataset
    data = _boards(session, state)
    own = _own_zone_ids(dataset, municipality)
    _own_board(data, own, board_id)
    data["features"] = [f for f in data["features"] if not _is_own(f, own, board_id)]
    _save_boards(session, state, actor, municipality, data, action="remove", board_id=board_id)
