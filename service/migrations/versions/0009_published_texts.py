"""What the municipality publishes (its contact, the infoborden) in the database, for every instance.

Revision ID: 0009_published_texts
Revises: 0008_generation_deltas
Create Date: 2026-12-03
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_published_texts"
down_revision: str | None = "0008_generation_deltas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from service.tables or service.published: a migration must stay what
# it was when released.
UTC_DATETIME = sa.DateTime(timezone=True)
KINDS = ("contact", "infoborden")


def upgrade() -> None:
    """Create published_texts with one empty row per kind (an edit locks its row: it must exist)."""
    table = op.create_table(
        "published_texts",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_published_texts")),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        table, [{"kind": k, "content": None, "version": 0, "updated_at": now} for k in KINDS]
    )


def downgrade() -> None:
    """Drop published_texts (the dataset files keep what was last published)."""
    op.drop_table("published_texts")
