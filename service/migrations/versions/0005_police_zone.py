"""Staff accounts of a police zone: users.police_zone.

A police account acts for one municipality or for a police zone (all its municipalities, as the
dataset lists them); the column names the zone.

Revision ID: 0005_police_zone
Revises: 0004_staff_sessions
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_police_zone"
down_revision: str | None = "0004_staff_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add users.police_zone."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("police_zone", sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Drop users.police_zone."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("police_zone")
