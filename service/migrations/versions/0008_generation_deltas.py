"""Zone generations stored as deltas: a generation after the first keeps only what it changed.

A row holds its whole GeoJSON text (``geojson``) or its ``parent`` and a ``delta``: the ids of its
zones in order and the features of the zones that differ from the parent's. Its text is then the
parent's features with those replaced, written as ``json.dumps(collection, ensure_ascii=False,
indent=1, allow_nan=False) + "\\n"``. ``sha256`` may be empty until the text is first exported.

The data migration turns every existing row after the first into a delta of the row before it when,
and only when, the delta gives back its stored text byte for byte; any other row stays whole.

Revision ID: 0008_generation_deltas
Revises: 0007_limits
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008_generation_deltas"
down_revision: str | None = "0007_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration must stay what it was when released.
generations = sa.table(
    "zone_generations",
    sa.column("number", sa.Integer()),
    sa.column("geojson", sa.Text()),
    sa.column("parent", sa.Integer()),
    sa.column("delta", sa.Text()),
    sa.column("sha256", sa.String(64)),
)


def _features(text: str) -> tuple[list[str], dict[str, Any]] | None:
    """Return the ids and the features by id of a generation's text (None: not one we can split)."""
    try:
        data = json.loads(text)
        ids = [f["properties"]["id"] for f in data["features"]]
    except (ValueError, KeyError, TypeError):
        return None
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) for i in ids):
        return None
    return ids, dict(zip(ids, data["features"], strict=True))


def _text(features: list[Any]) -> str:
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def upgrade() -> None:
    """Add parent and delta; let geojson and sha256 be empty; store later rows as deltas."""
    with op.batch_alter_table("zone_generations") as batch_op:
        batch_op.add_column(sa.Column("parent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("delta", sa.Text(), nullable=True))
        batch_op.alter_column("geojson", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)
    bind = op.get_bind()
    numbers = bind.execute(sa.select(generations.c.number).order_by("number")).scalars().all()
    before: tuple[int, tuple[list[str], dict[str, Any]] | None] | None = None
    for number in numbers:
        text = bind.execute(
            sa.select(generations.c.geojson).where(generations.c.number == number)
        ).scalar_one()
        mine = _features(text)
        if before is not None and before[0] == number - 1 and before[1] and mine:
            ids, by_id = mine
            parent = before[1][1]
            changed = {i: f for i, f in by_id.items() if parent.get(i) != f}
            if _text([changed.get(i, parent.get(i)) for i in ids]) == text:
                delta = {"ids": ids, "features": changed}
                compact = json.dumps(
                    delta, ensure_ascii=False, allow_nan=False, separators=(",", ":")
                )
                bind.execute(
                    generations.update()
                    .where(generations.c.number == number)
                    .values(geojson=None, parent=number - 1, delta=compact)
                )
        before = (number, mine)


def downgrade() -> None:
    """Write every generation's whole text (and digest) back, then drop parent and delta."""
    bind = op.get_bind()
    c = generations.c
    numbers = bind.execute(sa.select(c.number).order_by("number")).scalars().all()
    texts: dict[int, dict[str, Any]] = {}
    for number in numbers:
        text, parent, delta, digest = bind.execute(
            sa.select(c.geojson, c.parent, c.delta, c.sha256).where(c.number == number)
        ).one()
        if text is None:
            data = json.loads(delta)
            features = [data["features"].get(i, texts[parent].get(i)) for i in data["ids"]]
            text = _text(features)
            texts[number] = dict(zip(data["ids"], features, strict=True))
        else:
            found = _features(text)
            texts[number] = found[1] if found else {}
        digest = digest or hashlib.sha256(text.encode("utf-8")).hexdigest()
        bind.execute(
            generations.update()
            .where(c.number == number)
            .values(geojson=text, parent=None, delta=None, sha256=digest)
        )
        texts.pop(number - 1, None)  # a delta's parent is the row before it
    with op.batch_alter_table("zone_generations") as batch_op:
        batch_op.drop_column("delta")
        batch_op.drop_column("parent")
        batch_op.alter_column("geojson", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
