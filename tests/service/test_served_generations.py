"""Zone generations in the database, with real `wabp serve` processes.

- SIGKILL at random points of 30 approvals: after every restart the proposals' status, the
  generations and the audit log agree, the files follow the database, and `wabp validate` passes;
- two processes on one PostgreSQL: an approval through one is served by the other within 2 s, and
  approvals of two proposals for the same zone sent to both at once give one 200 and one 409.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from sqlalchemy import select
from typer.testing import CliRunner

from service.cli import app as cli
from service.db import make_engine, make_sessionmaker
from service.generations import ZoneGenerations
from service.tables import AuditEvent, Proposal, ZoneGeneration
from tests.service.conftest import POSTGRES_URL, _recreate_schema
from tests.service.processes import (
    WEST,
    WEST_WIDER,
    Served,
    add_municipality_user,
    serve,
    tiny_dataset,
    west_feature,
)

APPROVALS = 30
KILL_EVERY = 5  # every fifth approval is killed: six restarts, each one a second or more
CONFIRM = {"confirm_takeover": True}


def west_area(served: Served) -> float:
    """Return the area (square degrees) of zone west as `served` serves it now."""
    with served.client() as c:
        zone = c.get("/api/zones/west").json()
    return float(shapely.geometry.shape(zone["geometry"]).area)


def check_agreement(database_url: str, root: Path) -> int:
    """Assert that proposals, generations, audit events and files agree; return the generations."""
    engine = make_engine(database_url)
    try:
        store = ZoneGenerations(make_sessionmaker(engine), root)
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(ZoneGeneration.number, ZoneGeneration.proposal_id).order_by(
                    ZoneGeneration.number
                )
            ).all()
            proposals = session.scalars(select(Proposal)).all()
            approvals = Counter(
                session.scalars(
                    select(AuditEvent.object_id).where(AuditEvent.action == "proposal.approve")
                )
            )
        # Every generation's whole text, rebuilt from the deltas it is stored as.
        generations = [(n, proposal_id, store.text(n)) for n, proposal_id in rows]
    finally:
        engine.dispose()
    numbers = [g[0] for g in generations]
    assert numbers == list(range(1, len(numbers) + 1))
    applied = {proposal_id: n for n, proposal_id, _ in generations if proposal_id}
    for row in proposals:
        if row.status == "approved":
            assert applied.get(row.id) == row.result_generation, row.id
            assert approvals[row.id] == 1, row.id
        else:
            assert row.id not in applied and approvals[row.id] == 0, row.id
    assert len(applied) == len(numbers) - 1  # every generation after the first applied one
    # The files follow the database.
    if len(numbers) > 1:
        index = json.loads((root / "generations" / "index.json").read_text())
        assert [g["number"] for g in index] == numbers
        for number, _, geojson in generations:
            assert (root / "generations" / f"{number:04d}.geojson").read_text() == geojson
    assert (root / "zones.geojson").read_text() == generations[-1][2]
    # In this process (the CLI's own code): a new Python would spend seconds importing.
    validated = CliRunner().invoke(cli, ["validate", "--data", str(root)])
    assert validated.exit_code == 0, validated.output
    return len(numbers)


def test_sigkill_during_approvals_leaves_everything_in_agreement(tmp_path: Path) -> None:
    root = tiny_dataset(tmp_path / "data")
    database_url = f"sqlite:///{root / 'wabp.sqlite'}"
    add_municipality_user(database_url)
    rng = random.Random(20261202)
    served = serve(root, database_url)
    kills = 0
    try:
        headers = served.token()
        for i in range(APPROVALS):
            # Alternate west between its square and the wider one: every approval is a change.
            wider = west_area(served) < WEST_WIDER.area * 0.99
            feature = west_feature(WEST_WIDER if wider else WEST, note=f"approval {i}")
            with served.client() as c:
                submitted = c.post("/api/proposals", json=feature, headers=headers)
                assert submitted.status_code == 201, submitted.text
            path = f"/api/proposals/{submitted.json()['id']}/approve"
            if i % KILL_EVERY != KILL_EVERY - 1:
                with served.client() as c:
                    assert c.post(path, json=CONFIRM, headers=headers).status_code == 200
                continue
            # Killed at a random moment of the approval: before, during or after its commit.
            outcome: list[Any] = []
            request = threading.Thread(target=_post, args=(served, path, headers, outcome))
            request.start()
            time.sleep(rng.uniform(0.0, 0.4))
            served.kill()
            request.join(timeout=30)
            kills += 1
            served = serve(root, database_url)
            headers = served.token()
            check_agreement(database_url, root)
        served.stop()
        generations = check_agreement(database_url, root)
    finally:
        served.stop()
    assert kills == APPROVALS // KILL_EVERY
    # The approvals that were never killed all count, and no killed one counts twice.
    assert APPROVALS - kills + 1 <= generations <= APPROVALS + 1


def _post(served: Served, path: str, headers: dict[str, str], outcome: list[Any]) -> None:
    try:
        with served.client() as c:
            outcome.append(c.post(path, json=CONFIRM, headers=headers).status_code)
    except httpx.HTTPError as exc:  # the server was killed under the request
        outcome.append(exc)


# -- two processes on one PostgreSQL ---------------------------------------------------------------


@pytest.fixture
def two_servers(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Served, Served, str]]:
    if not POSTGRES_URL:
        pytest.skip("two processes on one PostgreSQL: set WABP_TEST_POSTGRES_URL")
    database_url: str = request.getfixturevalue("postgres_schema_url")
    _recreate_schema(database_url)
    add_municipality_user(database_url)
    # Two dataset directories, as two hosts would have: the database is what they share.
    first = serve(tiny_dataset(tmp_path / "a" / "data"), database_url)
    try:
        second = serve(tiny_dataset(tmp_path / "b" / "data"), database_url)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second, database_url
    finally:
        first.stop()
        second.stop()


def test_two_processes_on_one_postgresql(
    two_servers: tuple[Served, Served, str], tmp_path: Path
) -> None:
    first, second, database_url = two_servers
    headers = first.token()
    with first.client() as c:
        proposal = c.post("/api/proposals", json=west_feature(WEST_WIDER), headers=headers).json()
        approved = c.post(f"/api/proposals/{proposal['id']}/approve", json=CONFIRM, headers=headers)
    assert approved.status_code == 200, approved.text
    done = time.monotonic()
    # The other process serves the new generation within 2 s.
    while west_area(second) < WEST_WIDER.area * 0.99:
        assert time.monotonic() - done < 2.0, "the second process did not follow within 2 s"
        time.sleep(0.05)
    # Its files are exported after it serves the generation, in the background.
    exported = tmp_path / "b" / "data" / "generations" / "0002.geojson"
    while not exported.is_file():
        assert time.monotonic() - done < 30.0, "the second process did not export generation 2"
        time.sleep(0.05)

    # Two proposals for the same zone, approved through the two processes at the same moment.
    with first.client() as c:
        back = c.post("/api/proposals", json=west_feature(WEST), headers=headers).json()
        other = shapely.Polygon([(5.28, 50.87), (5.291, 50.87), (5.291, 50.88), (5.28, 50.88)])
        half = c.post("/api/proposals", json=west_feature(other), headers=headers).json()
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def approve(served: Served, proposal_id: str) -> None:
        with served.client() as c:
            barrier.wait()
            answer = c.post(f"/api/proposals/{proposal_id}/approve", json=CONFIRM, headers=headers)
            statuses[proposal_id] = answer.status_code

    threads = [
        threading.Thread(target=approve, args=(first, back["id"])),
        threading.Thread(target=approve, args=(second, half["id"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses.values()) == [200, 409], statuses
    assert check_agreement(database_url, tmp_path / "a" / "data") == 3
