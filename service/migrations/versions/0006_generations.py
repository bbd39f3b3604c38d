"""Zone generations in the database: each generation's GeoJSON and the proposal it applied.

Revision ID: 0006_generations
Revises: 0005_police_zone
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_generations"
down_revision: str | None = "0005_police_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create zone_generations (filled from the dataset's files at the next start-up)."""
    op.create_table(
        "zone_generations",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=True),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_zone_generations")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_zone_generations_proposal_id")),
    )


def downgrade() -> None:
    """Drop zone_generations (the files in the dataset directory remain)."""
    op.drop_table("zone_generations")
