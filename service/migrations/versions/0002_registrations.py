"""Registrations and their consents; the audit log learns which municipality an event concerns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from service.tables: a migration must stay what it was when released.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create registrations and consents; add audit_events.municipality."""
    op.create_table(
        "registrations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("housenumber", sa.String(length=20), nullable=True),
        sa.Column("box", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=True),
        sa.Column("new_group", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("added_at", UTC_DATETIME, nullable=True),
        sa.Column("leaving_at", UTC_DATETIME, nullable=True),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "role IN ('participant', 'coordinator')", name=op.f("ck_registrations_role")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'added', 'leaving', 'removed')",
            name=op.f("ck_registrations_status"),
        ),
        sa.CheckConstraint("relation IN ('live', 'work')", name=op.f("ck_registrations_relation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registrations_token_hash")),
    )
    op.create_index(op.f("ix_registrations_status"), "registrations", ["status"])
    op.create_index(op.f("ix_registrations_municipality"), "registrations", ["municipality"])
    op.create_index("ix_registrations_zone_status", "registrations", ["zone_id", "status"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registration_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("given_at", UTC_DATETIME, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('rules', 'statement', 'police')", name=op.f("ck_consents_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_consents_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_registration_id"), "consents", ["registration_id"])
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("municipality", sa.String(length=100), nullable=True))
        batch.create_index(batch.f("ix_audit_events_municipality"), ["municipality"])


def downgrade() -> None:
    """Drop registrations and consents, and audit_events.municipality."""
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index(batch.f("ix_audit_events_municipality"))
        batch.drop_column("municipality")
    op.drop_table("consents")
    op.drop_table("registrations")
