"""Database tables (SQLAlchemy 2.x typed ORM): staff, the audit log, proposals and registrations.

The migrations in ``service/migrations/versions/`` create exactly these tables (0001: users, audit,
proposals; 0002: registrations and their consents; 0003_mail: the outbox, mail preferences and
account links; 0004: staff sessions; 0005_police_zone: users.police_zone; 0006_generations: zone
generations); a change here needs a new migration (``wabp db revision``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args
from uuid import uuid4

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Role = Literal["coordinator", "police", "municipality"]
ROLES: tuple[Role, ...] = get_args(Role)
ProposalStatus = Literal["submitted", "approved", "rejected"]
PROPOSAL_STATUSES: tuple[ProposalStatus, ...] = get_args(ProposalStatus)
MAX_NOTE = 2000
ApplicantRole = Literal["participant", "coordinator"]
APPLICANT_ROLES: tuple[ApplicantRole, ...] = get_args(ApplicantRole)
# pending -> approved | refused; approved -> added (to WhatsApp by the coordinator); approved or
# added -> leaving (the member withdrew: the coordinator removes them, then the record is erased);
# approved | added -> removed (by the coordinator; kept for the retention period).
RegistrationStatus = Literal["pending", "approved", "refused", "added", "leaving", "removed"]
REGISTRATION_STATUSES: tuple[RegistrationStatus, ...] = get_args(RegistrationStatus)
Relation = Literal["live", "work"]
RELATIONS: tuple[Relation, ...] = get_args(Relation)
ConsentPurpose = Literal["rules", "statement", "police"]
CONSENT_PURPOSES: tuple[ConsentPurpose, ...] = get_args(ConsentPurpose)
# queued -> sent (the SMTP server accepted it) | failed (refused for good, or too many attempts).
OutboxStatus = Literal["queued", "sent", "failed"]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
AccountLinkPurpose = Literal["invite", "reset"]
ACCOUNT_LINK_PURPOSES: tuple[AccountLinkPurpose, ...] = get_args(AccountLinkPurpose)

# Named constraints: Alembic's batch mode on SQLite recreates tables and can only drop or alter a
# constraint that has a name.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """Return a new opaque id (uuid4 hex): ids must not be guessable or sequential (OWASP API1)."""
    return uuid4().hex


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so without this a value written aware would come back naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store aware ones in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base; its metadata is what Alembic migrates."""

    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A staff account. Residents have no account."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'coordinator' OR zone_id IS NOT NULL", name="coordinator_zone"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    zone_id: Mapped[str | None] = mapped_column(String(64), default=None)
    municipality: Mapped[str | None] = mapped_column(String(100), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A police account of a whole police zone (migration 0005_police_zone): it acts for every municipality
    # the dataset lists for that zone. None: the account's scope is `municipality`.
    police_zone: Mapped[str | None] = mapped_column(String(100), default=None)


class AuditEvent(Base):
    """Who did what to which object, and when. ``detail`` never holds personal data."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # No foreign key: the log must outlive the account it names.
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(500), default="")
    # The municipality whose data the event touched: its staff read their own part of the log.
    municipality: Mapped[str | None] = mapped_column(String(100), default=None, index=True)


class Proposal(Base):
    """A coordinator's proposed zone boundary, decided by the municipality."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(_in("status", PROPOSAL_STATUSES), name="status"),
        CheckConstraint(f"note IS NULL OR length(note) <= {MAX_NOTE}", name="note_length"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    zone_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(String(MAX_NOTE), default=None)
    feature_json: Mapped[str] = mapped_column(Text)
    units_json: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    base_generation: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    result_generation: Mapped[int | None] = mapped_column(Integer, default=None)
    report_json: Mapped[str] = mapped_column(Text, default="{}")


class Registration(Base):
    """A resident's application to join (or start) a WABP group, and then their membership.

    Personal data: name, phone, e-mail and address. Residents have no account: they reach their
    record with a private token, of which only the SHA-256 is stored.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(_in("role", APPLICANT_ROLES), name="role"),
        CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        CheckConstraint(_in("relation", RELATIONS), name="relation"),
        Index("ix_registrations_zone_status", "zone_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    relation: Mapped[str] = mapped_column(String(10))
    # The address as the register writes it (not as typed).
    street: Mapped[str] = mapped_column(String(200))
    housenumber: Mapped[str | None] = mapped_column(String(20), default=None)
    box: Mapped[str | None] = mapped_column(String(20), default=None)
    postcode: Mapped[str] = mapped_column(String(10))
    municipality: Mapped[str] = mapped_column(String(100), index=True)
    # The group: decided by the address; for an address in no zone, by police or municipality
    # (a zone, or new_group when the applicant starts a new one).
    zone_id: Mapped[str | None] = mapped_column(String(64), default=None)
    new_group: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Only the decision and who took it: never the police's reasons (GDPR Art. 10).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(32), default=None)
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    leaving_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Consent.purpose",
    )


class Consent(Base):
    """One consent given with an application: which text (version and hash) and when."""

    __tablename__ = "consents"
    __table_args__ = (CheckConstraint(_in("purpose", CONSENT_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registration_id: Mapped[str] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    text_sha256: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), default="api")

    registration: Mapped[Registration] = relationship(back_populates="consents")


class OutboxMessage(Base):
    """An e-mail waiting to be sent, written in the same transaction as the event that causes it.

    Personal data (the address and the bodies, which may hold a private link) is erased as soon as
    the message is sent or given up, and with the registration or account it belongs to.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_user_kind", "user_id", "kind"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    recipient: Mapped[str | None] = mapped_column(String(254), default=None)
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str | None] = mapped_column(Text, default=None)
    body_html: Mapped[str | None] = mapped_column(Text, default=None)
    # The registration or account the message is about: erasing it erases the message.
    registration_id: Mapped[str | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), default=None, index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A sender claims a message for a while (a lease): another sender skips it meanwhile, and
    # takes it over if the first one died.
    claimed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MailPreference(Base):
    """A staff member's choice for one kind of message; no row means the default (on)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class AccountLink(Base):
    """A single-use, expiring link to set a staff password (invitation or reset); stored hashed."""

    __tablename__ = "account_links"
    __table_args__ = (CheckConstraint(_in("purpose", ACCOUNT_LINK_PURPOSES), name="purpose"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StaffSession(Base):
    """A signed-in browser of a staff member (``/beheer``): the cookie's SHA-256, never the cookie.

    Kept server-side so that "Afmelden", a password change and disabling an account end it at once;
    a stateless signed cookie would stay valid until it expires.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of the cookie value
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RateEvent(Base):
    """One counted event of a limit (a failed sign-in, ...), shared by every process and instance.

    ``key`` is a keyed hash (HMAC with the signing key) of what is counted, an account or a client
    address: the table holds neither e-mail addresses nor IP addresses. Rows older than the longest
    window are deleted as new ones come in (``service.limits``).
    """

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UsedCsrfToken(Base):
    """A CSRF token that was accepted once: a second post with it is refused (``service.csrf``)."""

    __tablename__ = "used_csrf_tokens"

    # SHA-256 of the token's nonce: unique, so of two posts at once with one token, one fails.
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ZoneGeneration(Base):
    """One generation of the zone set: its GeoJSON, and the proposal it applied (if any).

    The database decides: the files of ``<data_dir>/generations/`` and ``zones.geojson`` are exported
    from these rows after each commit and at start-up. An approval writes its generation, the
    proposal's status and the audit event in one transaction, so they cannot disagree.

    A row holds its whole text (`geojson`) or, usually, what changed since its `parent`
    (`delta`, a `zones.generations.ZoneDelta`: kilobytes where the whole is megabytes).
    """

    __tablename__ = "zone_generations"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")
    source: Mapped[str] = mapped_column(String(200), default="initial")
    # Unique: a proposal is applied at most once, whatever two reviewers do at the same moment.
    proposal_id: Mapped[str | None] = mapped_column(String(32), default=None, unique=True)
    geojson: Mapped[str | None] = mapped_column(Text, default=None)
    parent: Mapped[int | None] = mapped_column(Integer, default=None)
    delta: Mapped[str | None] = mapped_column(Text, default=None)
    # Of the whole text; filled when the text is first exported (a delta row is written without it).
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class PublishedText(Base):
    """What the municipality publishes beside the zones, shared by every instance (``service.published``).

    One row per kind (``contact``: the municipality's contact in ``dataset.json``; ``infoborden``:
    ``infoborden.geojson``), created by the migration with no text: until staff first publish it,
    the dataset's own file stands. ``version`` grows by one with every edit; each instance polls it
    and writes the newer text to its dataset directory, then serves it.
    """

    __tablename__ = "published_texts"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    content: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
