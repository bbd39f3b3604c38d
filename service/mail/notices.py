"""Who is told what, and when: one function per event, called in the event's own transaction.

| event | to | kind (``outbox.kind``) | can be switched off |
|---|---|---|---|
| an application with an e-mail address | the applicant | ``applicant.confirmation`` | (they gave the address for it) |
| the police decided | the applicant | ``applicant.decision`` | |
| an application withdrawn | the applicant | ``applicant.withdrawn`` | |
| a new application | police of the municipality | ``police.pending`` (at most one an hour, with a count) | yes |
| a member approved | coordinators of the group | ``coordinator.member_waits`` | yes |
| a member leaves | coordinators of the group | ``coordinator.member_leaves`` | yes |
| a proposal arrived | municipality staff | ``municipality.proposal_arrived`` | yes |
| a proposal went stale | municipality staff | ``municipality.proposal_stale`` | yes |
| an account made by invitation | the new staff member | ``staff.invitation`` | |
| a password reset asked | the staff member | ``staff.reset`` | |
| an account locked after failed sign-ins | the staff member | ``staff.locked`` | |

Messages carry links, not personal data: a coordinator reads the new member's name and number
after signing in, never in a mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.mail.compose import Link, Mail
from service.mail.outbox import public_url, queue
from service.tables import MailPreference, OutboxMessage, Registration, User, utcnow

# The messages staff choose to get, by role, with the words of the settings page.
OPTIONAL: dict[str, tuple[str, str]] = {
    "police.pending": ("police", "Nieuwe aanmeldingen wachten op nazicht (hoogstens één per uur)"),
    "coordinator.member_waits": (
        "coordinator",
        "Een goedgekeurd lid wacht om toegevoegd te worden",
    ),
    "coordinator.member_leaves": ("coordinator", "Een lid verlaat de groep"),
    "municipality.proposal_arrived": ("municipality", "Een nieuw voorstel voor de zones"),
    "municipality.proposal_stale": (
        "municipality",
        "Een voorstel is verouderd door een andere goedgekeurde wijziging",
    ),
}
POLICE_INTERVAL = timedelta(hours=1)
# The staff pages (service.routes.staff) a mail links to; signing in first comes back to them.
POLICE_QUEUE = "/beheer/politie"
MY_GROUP = "/beheer/groep"
PROPOSAL_PAGE = "/beheer/gemeente/voorstellen/{id}"
PREFERENCES_PAGE = "/beheer/meldingen"
ROLE_NAMES = {"coordinator": "coördinator", "police": "politie", "municipality": "gemeente"}


# --- preferences --------------------------------------------------------------------------------


def kinds_for(role: str) -> dict[str, str]:
    """Return the messages a role can switch on or off, with their Dutch descriptions."""
    return {kind: label for kind, (r, label) in OPTIONAL.items() if r == role}


def preferences(session: Session, user: User) -> dict[str, bool]:
    """Return, for each message the user's role can get, whether they get it (default: yes)."""
    chosen = {
        p.kind: p.enabled
        for p in session.scalars(select(MailPreference).where(MailPreference.user_id == user.id))
    }
    return {kind: chosen.get(kind, True) for kind in kinds_for(user.role)}


def set_preferences(session: Session, user: User, choices: Mapping[str, bool]) -> dict[str, bool]:
    """Store the user's choices (kinds of other roles are refused with ValueError)."""
    allowed = kinds_for(user.role)
    unknown = set(choices) - set(allowed)
    if unknown:
        raise ValueError(f"onbekende soort bericht: {', '.join(sorted(unknown))}")
    for kind, enabled in choices.items():
        row = session.get(MailPreference, (user.id, kind))
        if row is None:
            session.add(MailPreference(user_id=user.id, kind=kind, enabled=enabled))
        else:
            row.enabled = enabled
    session.flush()
    return preferences(session, user)


def _recipients(session: Session, kind: str, users: Iterable[User]) -> list[User]:
    """Return the active users who did not switch this kind of message off."""
    candidates = [u for u in users if u.active]
    if not candidates:
        return []
    off = set(
        session.scalars(
            select(MailPreference.user_id).where(
                MailPreference.kind == kind,
                MailPreference.enabled.is_(False),
                MailPreference.user_id.in_([u.id for u in candidates]),
            )
        )
    )
    return [u for u in candidates if u.id not in off]


def _staff(session: Session, role: str, **where: object) -> list[User]:
    query = select(User).where(User.role == role, User.active.is_(True))
    for column, value in where.items():
        query = query.where(getattr(User, column) == value)
    return list(session.scalars(query.order_by(User.id)))


def _settings_note(session: Session) -> str:
    return f"Welke e-mails u krijgt, kiest u zelf: {public_url(session, PREFERENCES_PAGE)}"


# --- applicants ---------------------------------------------------------------------------------


def applicant_confirmation(session: Session, registration: Registration, token: str) -> None:
    """Send the applicant (if they gave an e-mail) the confirmation with their private link."""
    if not registration.email:
        return
    mail = Mail(
        subject=f"Uw aanmelding bij de buurtpreventie {registration.municipality}",
        paragraphs=(
            "Bedankt voor uw aanmelding bij de WhatsApp-buurtpreventie. De politie kijkt ze na; "
            "dat kan enkele weken duren. U krijgt een e-mail zodra er beslist is.",
            "Met uw persoonlijke link volgt u uw aanmelding, downloadt u uw gegevens of trekt u "
            "uw aanmelding in. Bewaar deze e-mail en deel de link met niemand.",
        ),
        link=Link("Uw aanmelding bekijken", public_url(session, f"/aanmelding/{token}")),
        notes=("U krijgt deze e-mail omdat dit adres bij de aanmelding werd opgegeven.",),
    )
    queue(
        session,
        "applicant.confirmation",
        registration.email,
        mail,
        registration_id=registration.id,
    )


def applicant_decision(
    session: Session, registration: Registration, status_text: str, email: str | None
) -> None:
    """Tell the applicant the police decided, in the same neutral words as their private page."""
    if not email:
        return
    mail = Mail(
        subject="Uw aanmelding bij de buurtpreventie is beslist",
        paragraphs=(
            status_text,
            "De persoonlijke link uit de bevestigingsmail toont altijd de stand van uw aanmelding.",
        ),
    )
    queue(session, "applicant.decision", email, mail, registration_id=registration.id)


def applicant_withdrawn(
    session: Session, email: str | None, status_text: str, registration_id: str | None
) -> None:
    """Confirm a withdrawal; ``registration_id`` is None once the registration is erased."""
    if not email:
        return
    mail = Mail(
        subject="Uw aanmelding bij de buurtpreventie is ingetrokken",
        paragraphs=("U trok uw aanmelding in.", status_text),
    )
    queue(session, "applicant.withdrawn", email, mail, registration_id=registration_id)


# --- police ---------------------------------------------------------------------------------------


def _police_mail(session: Session, waiting: int, municipality: str) -> Mail:
    count = "Er wacht 1 aanmelding" if waiting == 1 else f"Er wachten {waiting} aanmeldingen"
    return Mail(
        subject=f"Buurtpreventie {municipality}: aanmeldingen wachten op nazicht",
        paragraphs=(f"{count} in {municipality} op nazicht door de politie.",),
        link=Link("Naar de aanmeldingen", public_url(session, POLICE_QUEUE)),
        notes=("U krijgt hoogstens één zulke e-mail per uur.", _settings_note(session)),
    )


def police_new_application(
    session: Session,
    registration: Registration,
    now: datetime | None = None,
    *,
    police_zones: Iterable[str] = (),
) -> None:
    """Tell the municipality's police that applications wait: one mail an hour, with a count.

    ``police_zones``: the dataset's police zones that hold the municipality; their officers are
    told as well.
    """
    now = now or utcnow()
    municipality = registration.municipality
    waiting = (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.municipality == municipality, Registration.status == "pending")
        )
        or 0
    )
    police = _staff(session, "police", municipality=municipality)
    for zone in police_zones:
        police += _staff(session, "police", police_zone=zone)
    officers = _recipients(session, "police.pending", police)
    for officer in officers:
        # One officer's messages are decided one transaction at a time (PostgreSQL row lock;
        # SQLite has one writer anyway), so two applications at once never queue two mails.
        session.scalar(select(User.id).where(User.id == officer.id).with_for_update())
        mine = (OutboxMessage.user_id == officer.id, OutboxMessage.kind == "police.pending")
        waiting_mail = session.scalar(
            select(OutboxMessage).where(
                *mine, OutboxMessage.status == "queued", OutboxMessage.claimed_by.is_(None)
            )
        )
        mail = _police_mail(session, waiting, municipality)
        if waiting_mail is not None:
            # Not sent yet: it gets the new count instead of a second mail.
            waiting_mail.subject, waiting_mail.body_text = mail.subject, mail.text()
            waiting_mail.body_html = mail.html()
            continue
        last = session.scalar(
            select(
                func.max(func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at))
            ).where(*mine)
        )
        not_before = last + POLICE_INTERVAL if last is not None else now
        if last is not None and last.tzinfo is None:  # SQLite returns max() as naive UTC text
            not_before = not_before.replace(tzinfo=now.tzinfo)
        queue(
            session,
            "police.pending",
            officer.email,
            mail,
            user_id=officer.id,
            not_before=not_before,
            now=now,
        )


# --- coordinators -------------------------------------------------------------------------------


def _coordinators(session: Session, kind: str, zone_id: str | None) -> list[User]:
    if zone_id is None:
        return []
    return _recipients(session, kind, _staff(session, "coordinator", zone_id=zone_id))


def member_waits(session: Session, registration: Registration) -> None:
    """Tell the group's coordinators that an approved member waits to be added to WhatsApp."""
    for user in _coordinators(session, "coordinator.member_waits", registration.zone_id):
        mail = Mail(
            subject="Buurtpreventie: een nieuw lid wacht",
            paragraphs=(
                "De politie keurde een aanmelding voor uw groep goed. Voeg het nieuwe lid toe aan "
                "de WhatsApp-groep en duid het daarna aan als toegevoegd.",
                "Naam en telefoonnummer ziet u na het aanmelden; ze staan niet in deze e-mail.",
            ),
            link=Link("Naar mijn groep", public_url(session, MY_GROUP)),
            notes=(_settings_note(session),),
        )
        queue(session, "coordinator.member_waits", user.email, mail, user_id=user.id)


def member_leaves(session: Session, registration: Registration) -> None:
    """Tell the group's coordinators that a member left and must be removed from WhatsApp."""
    for user in _coordinators(session, "coordinator.member_leaves", registration.zone_id):
        mail = Mail(
            subject="Buurtpreventie: een lid verlaat de groep",
            paragraphs=(
                "Een lid van uw groep trok zijn of haar aanmelding in. Verwijder het uit de "
                "WhatsApp-groep en duid het daarna aan als verwijderd; dan worden de gegevens "
                "gewist.",
            ),
            link=Link("Naar mijn groep", public_url(session, MY_GROUP)),
            notes=(_settings_note(session),),
        )
        queue(session, "coordinator.member_leaves", user.email, mail, user_id=user.id)


# --- municipality -------------------------------------------------------------------------------


def _reviewers(
    session: Session, kind: str, municipalities: Iterable[str], actor_id: str | None
) -> list[User]:
    wanted = set(municipalities)
    staff = [
        u for u in _staff(session, "municipality") if u.municipality in wanted and u.id != actor_id
    ]
    return _recipients(session, kind, staff)


def _tell_reviewers(
    session: Session,
    kind: str,
    proposal_id: str,
    municipalities: Iterable[str],
    actor_id: str | None,
    subject: str,
    text: str,
) -> None:
    """Mail each reviewer of the municipalities who wants ``kind`` a link to the proposal's page."""
    for user in _reviewers(session, kind, municipalities, actor_id):
        mail = Mail(
            subject=subject,
            paragraphs=(text,),
            link=Link(
                "Voorstel bekijken", public_url(session, PROPOSAL_PAGE.format(id=proposal_id))
            ),
            notes=(_settings_note(session),),
        )
        queue(session, kind, user.email, mail, user_id=user.id)


def proposal_arrived(
    session: Session, proposal_id: str, municipalities: Iterable[str], actor_id: str | None
) -> None:
    """Tell the municipality's staff that a boundary proposal waits for their review."""
    _tell_reviewers(
        session,
        "municipality.proposal_arrived",
        proposal_id,
        municipalities,
        actor_id,
        "Buurtpreventie: een nieuw voorstel voor de zones",
        "Er is een nieuw voorstel om de zones van de buurtpreventie te wijzigen. Bekijk "
        "de huidige en de voorgestelde grenzen naast elkaar, met wat er verandert.",
    )


def proposal_stale(
    session: Session, proposal_id: str, municipalities: Iterable[str], actor_id: str | None
) -> None:
    """Tell the municipality's staff that another approval changed what a proposal would do."""
    _tell_reviewers(
        session,
        "municipality.proposal_stale",
        proposal_id,
        municipalities,
        actor_id,
        "Buurtpreventie: een voorstel is verouderd",
        "Een andere goedgekeurde wijziging veranderde wat een voorstel zou doen. Bekijk de "
        "nieuwe gevolgen voor u het goedkeurt.",
    )


# --- staff accounts -----------------------------------------------------------------------------


def staff_invitation(session: Session, user: User, url: str, valid: timedelta) -> None:
    """Invite a new staff member to choose a password (the link works once, for ``valid``)."""
    where = user.municipality or (f"zone {user.zone_id}" if user.zone_id else "")
    mail = Mail(
        subject="Uitnodiging: uw account voor de buurtpreventie",
        paragraphs=(
            f"U kreeg een account als {ROLE_NAMES.get(user.role, user.role)}"
            f"{f' ({where})' if where else ''} voor de WhatsApp-buurtpreventie. "
            "Kies een wachtwoord om het te gebruiken.",
        ),
        link=Link("Wachtwoord kiezen", url),
        notes=(f"De link werkt één keer en {_duration(valid)} lang.",),
    )
    queue(session, "staff.invitation", user.email, mail, user_id=user.id)


def password_reset(session: Session, user: User, url: str, valid: timedelta) -> None:
    """Send a staff member a link to choose a new password (works once, for ``valid``)."""
    mail = Mail(
        subject="Buurtpreventie: een nieuw wachtwoord kiezen",
        paragraphs=(
            "Iemand vroeg een nieuw wachtwoord aan voor uw account bij de buurtpreventie. Was u "
            "dat, kies dan hieronder een nieuw wachtwoord.",
            "Was u het niet, dan hoeft u niets te doen: uw wachtwoord blijft hetzelfde.",
        ),
        link=Link("Nieuw wachtwoord kiezen", url),
        notes=(f"De link werkt één keer en {_duration(valid)} lang.",),
    )
    queue(session, "staff.reset", user.email, mail, user_id=user.id)


def account_locked(session: Session, user_id: str, minutes: int) -> None:
    """Tell a staff member that failed sign-ins locked their account for a while (a hook)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return
    mail = Mail(
        subject="Buurtpreventie: uw account is tijdelijk geblokkeerd",
        paragraphs=(
            f"Na te veel mislukte pogingen om aan te melden is uw account {minutes} minuten "
            "geblokkeerd. Was u dat niet, kies dan een nieuw wachtwoord.",
        ),
        link=Link("Nieuw wachtwoord aanvragen", public_url(session, "/beheer/wachtwoord-vergeten")),
    )
    queue(session, "staff.locked", user.email, mail, user_id=user.id)


def _duration(valid: timedelta) -> str:
    hours = valid.total_seconds() / 3600
    if hours >= 24:
        days = round(hours / 24)
        return "1 dag" if days == 1 else f"{days} dagen"
    if hours >= 1:
        return "1 uur" if round(hours) == 1 else f"{round(hours)} uur"
    return f"{round(valid.total_seconds() / 60)} minuten"
