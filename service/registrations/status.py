"""A registration's status: which changes are allowed, what each records, what the applicant reads.

One table (``STEPS``) holds every status change, so that each one is checked, timed and audited the
same way; ``service.tables.RegistrationStatus`` draws the whole graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.mail import notices
from service.registrations.errors import RegistrationStateError
from service.registrations.events import audit
from service.tables import Registration, RegistrationStatus, utcnow

# Members the coordinator has or will have in the WhatsApp group: they count against the cap.
MEMBER_STATUSES = ("approved", "added", "leaving")
ACTIVE_STATUSES = ("pending", *MEMBER_STATUSES)
DECIDED = "deze aanmelding is al beslist (status {status})"


@dataclass(frozen=True)
class Step:
    """One status change: where it may start, the column that records when, its audit action."""

    start: tuple[str, ...]
    stamp: str
    action: str
    refusal: str  # the 409 message; {status} is the current status
    decision: bool = False  # the police's decision also records who took it
    forget_email: bool = False  # from here on nobody needs to e-mail the applicant


STEPS: dict[RegistrationStatus, Step] = {
    "approved": Step(("pending",), "decided_at", "registration.approve", DECIDED, decision=True),
    "refused": Step(
        ("pending",), "decided_at", "registration.refuse", DECIDED, decision=True, forget_email=True
    ),
    "added": Step(
        ("approved",),
        "added_at",
        "member.added",
        "alleen een goedgekeurd lid kan worden toegevoegd ({status})",
    ),
    "leaving": Step(
        ("approved", "added"), "leaving_at", "registration.leaving", "u bent geen lid ({status})"
    ),
    "removed": Step(
        ("approved", "added"),
        "removed_at",
        "member.removed",
        "dit lid is al verwijderd",
        forget_email=True,
    ),
}


def clock(now: datetime | None) -> datetime:
    """Return ``now``, or the current time when none is given (tests pass a frozen one)."""
    return now if now is not None else utcnow()


def move(
    session: Session,
    registration: Registration,
    status: RegistrationStatus,
    actor_id: str | None,
    now: datetime | None = None,
) -> Registration:
    """Change a registration's status as ``STEPS`` says, or raise RegistrationStateError."""
    step = STEPS[status]
    if registration.status not in step.start:
        raise RegistrationStateError(step.refusal.format(status=registration.status))
    at = clock(now)
    email = registration.email
    registration.status = status
    setattr(registration, step.stamp, at)
    if step.decision:
        registration.decided_by = actor_id
    if step.forget_email:
        registration.email = None
    audit(session, actor_id, step.action, registration, at=at)
    # The mails a change causes, in its transaction (the address is read before it is forgotten).
    if step.decision:
        notices.applicant_decision(session, registration, status_message(registration), email)
    if status == "approved":
        notices.member_waits(session, registration)
    elif status == "leaving":
        notices.member_leaves(session, registration)
    return registration


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
