"""Start-up reconciliation: files-only datasets are imported once, the database decides after that.

- a dataset in the layout of before (``generations/index.json`` and files), left torn by a crash of
  the old code (a generation that applied a proposal still ``submitted``), is imported and the
  proposal is marked approved with its audit event;
- a ``zones.geojson`` edited by hand is rewritten from the database, and kept aside, not lost.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.tables import AuditEvent, Proposal, User, ZoneGeneration
from tests.service.apps import app_settings
from tests.service.processes import tiny_dataset, west_feature

# The west square of the tiny dataset, 0.001° narrower: generation 2 of the old layout.
WEST_NARROWER = shapely.Polygon([(5.28, 50.87), (5.289, 50.87), (5.289, 50.88), (5.28, 50.88)])


def start(root: Path, database_url: str) -> None:
    """Start the app once (its lifespan reconciles) and stop it."""
    with TestClient(create_app(app_settings(root, database_url))) as client:
        assert client.get("/healthz").status_code == 200


def test_a_torn_approval_of_before_is_imported_and_repaired(tmp_path: Path) -> None:
    root = tiny_dataset(tmp_path / "data")
    database_url = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    # The layout the old code wrote: generation 2 applied proposal p1, then the process died before
    # the proposal row was updated.
    zones = json.loads((root / "zones.geojson").read_text())
    narrower = json.loads(json.dumps(zones))
    narrower["features"][0]["geometry"] = west_feature(WEST_NARROWER)["geometry"]
    (root / "generations").mkdir()
    shutil.copy(root / "zones.geojson", root / "generations" / "0001.geojson")
    (root / "generations" / "0002.geojson").write_text(json.dumps(narrower))
    (root / "generations" / "index.json").write_text(
        json.dumps(
            [
                {"number": 1, "created_at": "2026-01-01T00:00:00Z", "file": "0001.geojson"},
                {
                    "number": 2,
                    "created_at": "2026-02-01T00:00:00Z",
                    "source": "proposal:p1",
                    "file": "0002.geojson",
                },
            ]
        )
    )
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        session.add(User(id="u1", email="z@example.be", password_hash="x", role="municipality"))
        session.flush()  # the proposal names this user
        session.add(
            Proposal(
                id="p1",
                zone_id="west",
                feature_json="{}",
                status="submitted",
                base_generation=1,
                created_by="u1",
            )
        )
        session.commit()

    start(root, database_url)
    with make_sessionmaker(engine)() as session:
        numbers = session.scalars(select(ZoneGeneration.number)).all()
        row = session.get(Proposal, "p1")
        approvals = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "proposal.approve")
        ).all()
    engine.dispose()
    assert numbers == [1, 2]
    assert row is not None and (row.status, row.result_generation) == ("approved", 2)
    assert approvals == ["generation 2 (reconciled at start-up)"]
    assert json.loads((root / "zones.geojson").read_text()) == narrower


def test_a_hand_edited_zone_file_is_rewritten_and_kept_aside(tmp_path: Path) -> None:
    root = tiny_dataset(tmp_path / "data")
    database_url = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    original = (root / "zones.geojson").read_text()
    start(root, database_url)  # imports the files: generation 1
    assert not (root / "generations").exists()  # one generation: the layout stays as it was
    edited = original.replace("WABP West", "WABP Westkant")
    (root / "zones.geojson").write_text(edited)

    start(root, database_url)
    assert (root / "zones.geojson").read_text() == original
    [kept] = root.glob("zones.geojson.replaced-*")
    assert kept.read_text() == edited
