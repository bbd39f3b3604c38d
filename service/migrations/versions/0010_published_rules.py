"""The group rules and the statement of intent, as published by the municipality, for every instance.

Revision ID: 0010_published_rules
Revises: 0009_published_texts
Create Date: 2026-12-04
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_published_rules"
down_revision: str | None = "0009_published_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from service.published: a migration must stay what it was when released.
KIND = "regels"


def upgrade() -> None:
    """Add the empty row of the rules texts (an edit locks its row: it must exist)."""
    table = sa.table(
        "published_texts",
        sa.column("kind", sa.String),
        sa.column("content", sa.Text),
        sa.column("version", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(table, [{"kind": KIND, "content": None, "version": 0, "updated_at": now}])


def downgrade() -> None:
    """Remove the rules row (the dataset files keep what was last published)."""
    op.execute(sa.text("DELETE FROM published_texts WHERE kind = :kind").bindparams(kind=KIND))
