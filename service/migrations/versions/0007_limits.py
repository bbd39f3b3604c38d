"""Limits shared by every instance: counted events (failed sign-ins) and used CSRF tokens.

Revision ID: 0007_limits
Revises: 0006_generations
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_limits"
down_revision: str | None = "0006_generations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from service.tables: a migration must stay what it was when released.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create rate_events and used_csrf_tokens."""
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    op.create_index("ix_rate_events_scope_key_at", "rate_events", ["scope", "key", "at"])
    op.create_index(op.f("ix_rate_events_at"), "rate_events", ["at"])
    op.create_table(
        "used_csrf_tokens",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_used_csrf_tokens")),
    )
    op.create_index(op.f("ix_used_csrf_tokens_expires_at"), "used_csrf_tokens", ["expires_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("used_csrf_tokens")
    op.drop_table("rate_events")
