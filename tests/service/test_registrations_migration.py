"""Migration 0002 on a database that already holds 0001 data (SQLite batch mode and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from service.db import alembic_config, current_revision, make_engine, upgrade
from service.tables import Base
from tests.service.test_db import HEAD

NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def test_upgrade_from_0001_keeps_data(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, zone_id, municipality,"
                    " active, created_at) VALUES ('u1', 'p@example.be', 'x', 'police', NULL,"
                    " 'Alken', true, :now)"
                ),
                {"now": NOW},
            )
            c.execute(
                text(
                    "INSERT INTO audit_events (at, actor_id, action, object_type, object_id, detail)"
                    " VALUES (:now, 'u1', 'user.create', 'user', 'u1', 'role=police')"
                ),
                {"now": NOW},
            )
        upgrade(engine)
        assert current_revision(engine) == HEAD
        with engine.connect() as c:
            # The schema is exactly what the tables declare.
            assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
            user = c.execute(text("SELECT email, municipality FROM users")).one()
            assert tuple(user) == ("p@example.be", "Alken")
            event = c.execute(text("SELECT action, detail, municipality FROM audit_events")).one()
            assert tuple(event) == ("user.create", "role=police", None)
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO registrations (id, token_hash, role, status, name, phone, relation,"
                    " street, postcode, municipality, new_group, created_at) VALUES ('r1', 'h',"
                    " 'participant', 'pending', 'N', '+32470000000', 'live', 'S', '3570', 'Alken',"
                    " false, :now)"
                ),
                {"now": NOW},
            )
            c.execute(
                text(
                    "INSERT INTO consents (registration_id, purpose, version, text_sha256,"
                    " given_at, channel) VALUES ('r1', 'rules', '1', 'h', :now, 'api')"
                ),
                {"now": NOW},
            )
        # Deleting a registration takes its consents along (ON DELETE CASCADE).
        with engine.begin() as c:
            c.execute(text("DELETE FROM registrations WHERE id = 'r1'"))
            assert c.execute(text("SELECT count(*) FROM consents")).scalar() == 0
        # And back: 0002 can be undone without losing 0001's data.
        with engine.begin() as c:
            command.downgrade(alembic_config(c), "0001")
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
        upgrade(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
