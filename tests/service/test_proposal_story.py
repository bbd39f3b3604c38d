"""Boundary proposals over HTTP with real Alken addresses: the whole story, roles and bad input.

The story: the coordinator of WABP Sint-Joris proposes to take the strip of WABP Terkoest along
their border (the Lindestraat side); the report must list exactly the addresses that move, the
municipality approves, a lookup of a moved address gives Sint-Joris, ``generation=1`` still gives
Terkoest, and the diff between the generations shows the move. Every app here serves a temporary
copy of ``data/``, so an approval never touches the repository; users are made with
``service.users.create_user`` and sign in through the real token route.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import shapely.ops
from fastapi.testclient import TestClient

from maps.compare import render_proposal_map
from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.settings import Settings
from service.tables import Proposal
from service.users import create_user
from tests.conftest import DATA
from tests.maps.test_compare import move_markers
from tests.service.apps import app_settings, copy_dataset
from zones.dataset import Dataset
from zones.proposals import parse_proposal, report
from zones.schema import Zone, ZoneSet, to_l72

PASSWORD = "correct horse battery staple"

# Sign-in names, roles, zones and municipalities of the staff accounts every app here has (no real
# person's address): Alken's own, those of another municipality, and one of no municipality.
USERS = {
    "sint-joris": ("coord.sintjoris@example.be", "coordinator", "sint-joris", None),
    "terkoest": ("coord.terkoest@example.be", "coordinator", "terkoest", None),
    "municipality": ("zones@alken.example.be", "municipality", None, "Alken"),
    "police": ("wijkagent@example.be", "police", None, "Alken"),
    "elders": ("zones@elders.example.be", "municipality", None, "Elders"),
    "police-elders": ("wijkagent@elders.example.be", "police", None, "Elders"),
    "nowhere": ("zones@nowhere.example.be", "municipality", None, None),
}
# The municipality confirms the take-overs a report lists (area or addresses of another group).
CONFIRM = {"confirm_takeover": True}
ZONES_FILE_DIGEST = hashlib.sha256((DATA / "zones.geojson").read_bytes()).hexdigest()


# -- the app on a copy of the data -----------------------------------------------------------------


def add_users(database_url: str) -> None:
    """Create the staff accounts of USERS in a migrated database."""
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        for email, role, zone, municipality in USERS.values():
            create_user(session, email, PASSWORD, role, zone_id=zone, municipality=municipality)
        session.commit()
    engine.dispose()


def settings_for(root: Path) -> Settings:
    """Return the settings of an app on the dataset `root` with its database next to it."""
    database_url = f"sqlite:///{root.parent / 'wabp.sqlite'}"
    add_users(database_url)
    return app_settings(root, database_url)


@dataclass
class Story:
    """A running app on its own copy of the data, with a bearer header per staff account."""

    client: TestClient
    root: Path
    headers: dict[str, dict[str, str]]

    @property
    def dataset(self) -> Dataset:
        """Return the dataset the app serves now."""
        ds: Dataset = self.client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
        return ds


@contextmanager
def story_app(tmp_path: Path) -> Iterator[Story]:
    """Start the app on a fresh copy of the data and sign every staff account in."""
    root = copy_dataset(tmp_path / "data")
    with TestClient(create_app(settings_for(root))) as client:
        headers = {}
        for who, (email, _, _, _) in USERS.items():
            answer = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            headers[who] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        yield Story(client, root, headers)


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    with story_app(tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """One app for the tests that approve nothing: roles and bad input."""
    with story_app(tmp_path_factory.mktemp("shared")) as s:
        yield s


# -- the proposal and its independent expectation ----------------------------------------------------


def strip_feature(dataset: Dataset, reach_degrees: float = 0.003, **props: Any) -> dict[str, Any]:
    """Sint-Joris plus the part of Terkoest within `reach_degrees` of it, as a request body."""
    sint_joris, terkoest = dataset.zones.get("sint-joris"), dataset.zones.get("terkoest")
    strip = shapely.intersection(sint_joris.geometry.buffer(reach_degrees), terkoest.geometry)
    shape = shapely.set_precision(shapely.union(sint_joris.geometry, strip), 1e-7)
    feature = {
        "type": "Feature",
        "properties": {"zone_id": "sint-joris", **props},
        "geometry": shapely.geometry.mapping(shape),
    }
    body: dict[str, Any] = json.loads(json.dumps(feature))  # lists, as a request body has
    return body


def expected_moves(dataset: Dataset, feature: dict[str, Any]) -> Counter[tuple[str, str]]:
    """Return the (street, house number) of every Terkoest address the feature moves, by geometry.

    Computed without the domain code: a positioned Terkoest address moves when its register point
    lies in the part of Terkoest the new shape covers (shapely on the points). An address without a
    position follows its nearest positioned numbers below and above on its side of the street: it
    moves when one of those moves.
    """
    reg = dataset.register
    grab = shapely.intersection(
        to_l72(shapely.geometry.shape(feature["geometry"])),
        dataset.zones.get("terkoest").geometry_l72,
    )
    positioned = np.flatnonzero(reg.positioned)
    inside = shapely.covered_by(shapely.points(reg.x[positioned], reg.y[positioned]), grab)

    def in_terkoest(a: int) -> bool:
        return dataset.table.zones_of(a) == ("terkoest",)

    moved = {int(a) for a in positioned[inside] if in_terkoest(int(a))}
    for a in np.flatnonzero(~reg.positioned).tolist():
        n = int(reg.numbers[a])
        if n < 0 or not in_terkoest(a):
            continue
        side = [
            b
            for b in reg.on_street(int(reg.street_of[a]))
            if reg.positioned[b] and reg.numbers[b] >= 0 and reg.numbers[b] % 2 == n % 2
        ]
        below = [b for b in side if reg.numbers[b] < n]
        above = [b for b in side if reg.numbers[b] > n]
        neighbours = [max(below, key=lambda b: reg.numbers[b])] if below else []
        neighbours += [min(above, key=lambda b: reg.numbers[b])] if above else []
        if any(b in moved for b in neighbours):
            moved.add(a)
    return Counter((reg.streets[reg.street_of[a]].name, reg.housenumbers[a]) for a in moved)


def listed(moves: list[dict[str, Any]], to_zone: str | None = None) -> Counter[tuple[str, str]]:
    """Return the (street, house number) of every address a report's moves list (to `to_zone`)."""
    return Counter(
        (m["street"], n)
        for m in moves
        if to_zone is None or m["to_zone"] == to_zone
        for n in m["numbers"]
    )


def positioned_moved_address(dataset: Dataset, moves: Counter[tuple[str, str]]) -> str:
    """Return a moved address with a register position, typed as a resident would."""
    reg = dataset.register
    for street, number in sorted(moves):
        if street != "Lindestraat":
            continue
        ids = [a for s in reg.streets if s.name == street for a in reg.find(s.id, number)]
        if ids and all(reg.positioned[a] for a in ids):
            return f"{street} {number}, 3570 Alken"
    raise AssertionError("no positioned Lindestraat address moves")


def lookup_zone(client: TestClient, query: str, **params: Any) -> list[str]:
    """Return the zone ids the lookup gives for a typed address."""
    answer = client.get("/api/lookup", params={"q": query, **params})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "found"
    return [z["id"] for z in answer.json()["zones"]]


# -- the whole story ---------------------------------------------------------------------------------


def test_coordinator_proposes_municipality_approves_history_remains(story: Story) -> None:
    client, headers = story.client, story.headers
    feature = strip_feature(story.dataset, note="De Lindestraat hoort bij Sint-Joris.")
    expected = expected_moves(story.dataset, feature)
    assert sum(expected.values()) > 20

    submitted = client.post("/api/proposals", json=feature, headers=headers["sint-joris"])
    assert submitted.status_code == 201, submitted.text
    proposal = submitted.json()
    assert proposal["status"] == "submitted" and proposal["base_generation"] == 1
    report = proposal["report"]
    # Exactly the addresses that move, all from Terkoest to Sint-Joris, counted the same everywhere.
    assert listed(report["moves"]) == expected
    assert {(m["from_zone"], m["to_zone"]) for m in report["moves"]} == {("terkoest", "sint-joris")}
    total = sum(expected.values())
    assert sum(m["count"] for m in report["moves"]) == total
    assert report["gained"] == {"sint-joris": total}
    assert report["lost"] == {"terkoest": total}
    assert [o["zone_id"] for o in report["overlaps"]] == ["terkoest"]
    assert any(
        line.startswith("verplaatst Lindestraat")
        and "van WABP Terkoest naar WABP Sint-Joris" in line
        for line in report["summary"]
    )

    # The author and the reviewers see it; the other coordinator does not.
    pid = proposal["id"]
    assert client.get(f"/api/proposals/{pid}", headers=headers["sint-joris"]).json() == proposal
    assert [p["id"] for p in client.get("/api/proposals", headers=headers["police"]).json()] == [
        pid
    ]
    assert client.get("/api/proposals", headers=headers["terkoest"]).json() == []

    moved = positioned_moved_address(story.dataset, expected)
    assert lookup_zone(client, moved) == ["terkoest"]

    # Taking Terkoest's strip is a take-over: listed in the report, approved only when confirmed.
    assert [t["zone_id"] for t in report["takeovers"]] == ["terkoest"]
    assert report["takeovers"][0]["addresses"] == total
    assert any("de gemeente moet dit bevestigen" in line for line in report["summary"])
    unconfirmed = client.post(f"/api/proposals/{pid}/approve", headers=headers["municipality"])
    assert unconfirmed.status_code == 409, unconfirmed.text
    assert unconfirmed.json()["code"] == "takeover_unconfirmed"
    assert "WABP Terkoest" in unconfirmed.json()["detail"]
    assert [g["number"] for g in client.get("/api/generations").json()] == [1]

    approved = client.post(
        f"/api/proposals/{pid}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["result_generation"] == 2
    again = client.post(
        f"/api/proposals/{pid}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert again.status_code == 409 and again.json()["code"] == "proposal_decided"

    # The new group now, the old one in generation 1.
    assert lookup_zone(client, moved) == ["sint-joris"]
    assert lookup_zone(client, moved, generation=1) == ["terkoest"]
    assert lookup_zone(client, moved, generation=2) == ["sint-joris"]

    generations = client.get("/api/generations").json()
    assert [g["number"] for g in generations] == [1, 2]
    assert generations[1]["source"] == f"proposal:{pid}"
    assert generations[1]["note"] == "De Lindestraat hoort bij Sint-Joris."

    diff = client.get("/api/generations/diff", params={"from": 1, "to": 2}).json()
    assert {z["zone_id"]: z["change"] for z in diff["zones"]} == {
        "sint-joris": "geometry+properties",
        "terkoest": "geometry+properties",
    }
    assert listed(diff["moves"]) == expected

    old = client.get("/api/zones/sint-joris", params={"generation": 1}).json()
    new = client.get("/api/zones/sint-joris").json()
    grown = (
        shapely.geometry.shape(new["geometry"]).area / shapely.geometry.shape(old["geometry"]).area
    )
    assert grown > 1.01

    # Files: the copy has both generations and zones.geojson is the new one; data/ is untouched.
    assert json.loads((story.root / "generations" / "0002.geojson").read_text()) == json.loads(
        (story.root / "zones.geojson").read_text()
    )
    assert hashlib.sha256((DATA / "zones.geojson").read_bytes()).hexdigest() == ZONES_FILE_DIGEST

    # The comparison map of the approved proposal still shows what it moved.
    page = client.get(f"/proposals/{pid}/map", headers=headers["sint-joris"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count('<tr>\n          <th scope="row">') == len(report["moves"])
    assert len(move_markers(page.text)) == sum(1 for _ in _positioned(story.dataset, expected))


def _positioned(dataset: Dataset, moves: Counter[tuple[str, str]]) -> Iterator[int]:
    reg = dataset.register
    for street, number in moves:
        for s in reg.streets:
            if s.name == street:
                yield from (a for a in reg.find(s.id, number) if reg.positioned[a])


def test_stale_approval_is_refused_with_a_fresh_report(story: Story) -> None:
    client, headers = story.client, story.headers
    wide = strip_feature(story.dataset, 0.003)
    narrow = strip_feature(story.dataset, 0.0015)
    first = client.post("/api/proposals", json=wide, headers=headers["sint-joris"]).json()
    second = client.post("/api/proposals", json=narrow, headers=headers["sint-joris"]).json()
    assert listed(second["report"]["moves"]) < listed(first["report"]["moves"])

    assert (
        client.post(
            f"/api/proposals/{second['id']}/approve", json=CONFIRM, headers=headers["municipality"]
        ).status_code
        == 200
    )
    stale = client.post(
        f"/api/proposals/{first['id']}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_proposal"
    fresh = stale.json()["detail"]["report"]
    # What is left to move: the wide strip minus what the narrow one already gave Sint-Joris (the
    # narrow one left three Steenweg addresses without a group; the wide one now moves them).
    assert listed(fresh["moves"]) == listed(first["report"]["moves"]) - listed(
        second["report"]["moves"], to_zone="sint-joris"
    )
    assert {m["to_zone"] for m in fresh["moves"]} == {"sint-joris"}
    assert [g["number"] for g in client.get("/api/generations").json()] == [1, 2]
    stored = client.get(f"/api/proposals/{first['id']}", headers=headers["municipality"]).json()
    assert stored["status"] == "submitted"
    assert stored["report"]["moves"] == fresh["moves"] and stored["base_generation"] == 2

    # Reviewed again against the fresh report, it can be approved.
    approved = client.post(
        f"/api/proposals/{first['id']}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert approved.status_code == 200 and approved.json()["result_generation"] == 3


# -- roles ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def submitted(shared: Story) -> dict[str, Any]:
    """A proposal of the Sint-Joris coordinator, never decided."""
    answer = shared.client.post(
        "/api/proposals", json=strip_feature(shared.dataset), headers=shared.headers["sint-joris"]
    )
    assert answer.status_code == 201, answer.text
    proposal: dict[str, Any] = answer.json()
    return proposal


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "code"),
    [
        pytest.param(
            None, "POST", "/api/proposals", 401, "not_authenticated", id="submit-no-token"
        ),
        pytest.param(None, "GET", "/api/proposals", 401, "not_authenticated", id="list-no-token"),
        pytest.param(
            None, "GET", "/api/proposals/{id}", 401, "not_authenticated", id="get-no-token"
        ),
        pytest.param(
            None,
            "POST",
            "/api/proposals/{id}/approve",
            401,
            "not_authenticated",
            id="approve-no-token",
        ),
        pytest.param("police", "POST", "/api/proposals", 403, "forbidden", id="police-submits"),
        pytest.param(
            "sint-joris",
            "POST",
            "/api/proposals/{id}/approve",
            403,
            "forbidden",
            id="coord-approves",
        ),
        pytest.param(
            "police", "POST", "/api/proposals/{id}/approve", 403, "forbidden", id="police-approves"
        ),
        pytest.param(
            "sint-joris", "POST", "/api/proposals/{id}/reject", 403, "forbidden", id="coord-rejects"
        ),
        pytest.param(
            "terkoest", "POST", "/api/proposals", 403, "forbidden", id="coord-of-another-zone"
        ),
        pytest.param(
            "terkoest", "GET", "/api/proposals/{id}", 404, "unknown_proposal", id="others-proposal"
        ),
        pytest.param(
            "terkoest", "GET", "/proposals/{id}/map", 404, "unknown_proposal", id="others-map"
        ),
        pytest.param("police", "GET", "/api/proposals/{id}", 200, None, id="police-reads"),
        pytest.param(
            "municipality", "GET", "/proposals/{id}/map", 200, None, id="municipality-map"
        ),
        pytest.param(
            "elders", "GET", "/api/proposals/{id}", 404, "unknown_proposal", id="elsewhere-reads"
        ),
        pytest.param(
            "elders",
            "POST",
            "/api/proposals/{id}/approve",
            404,
            "unknown_proposal",
            id="elsewhere-approves",
        ),
        pytest.param(
            "police-elders",
            "GET",
            "/proposals/{id}/map",
            404,
            "unknown_proposal",
            id="police-elsewhere-map",
        ),
        pytest.param(
            "nowhere",
            "POST",
            "/api/proposals/{id}/approve",
            403,
            "forbidden",
            id="no-municipality-approves",
        ),
        pytest.param("elders", "POST", "/api/proposals", 403, "forbidden", id="elsewhere-submits"),
    ],
)
def test_roles(
    shared: Story,
    submitted: dict[str, Any],
    who: str | None,
    method: str,
    path: str,
    status: int,
    code: str | None,
) -> None:
    headers = shared.headers[who] if who else {}
    body = strip_feature(shared.dataset) if path == "/api/proposals" else None
    answer = shared.client.request(
        method, path.format(id=submitted["id"]), json=body, headers=headers
    )
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["code"] == code
        assert answer.json()["detail"]
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    # Nothing was decided by any of these.
    stored = shared.client.get(
        f"/api/proposals/{submitted['id']}", headers=shared.headers["municipality"]
    )
    assert stored.json()["status"] == "submitted"


def test_a_rejection_needs_a_reason_and_is_final(shared: Story) -> None:
    client, headers = shared.client, shared.headers
    proposal = client.post(
        "/api/proposals", json=strip_feature(shared.dataset, 0.001), headers=headers["sint-joris"]
    ).json()
    path = f"/api/proposals/{proposal['id']}/reject"
    for body in ({}, {"reason": ""}, {"reason": "no", "extra": 1}):
        refused = client.post(path, json=body, headers=headers["municipality"])
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "invalid_request"
    reason = "Steenweg blijft bij Terkoest."
    rejected = client.post(path, json={"reason": reason}, headers=headers["municipality"])
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    seen = client.get(f"/api/proposals/{proposal['id']}", headers=headers["sint-joris"]).json()
    assert (seen["status"], seen["reason"]) == ("rejected", reason)
    late = client.post(f"/api/proposals/{proposal['id']}/approve", headers=headers["municipality"])
    assert late.status_code == 409 and late.json()["code"] == "proposal_decided"
    assert [g["number"] for g in client.get("/api/generations").json()] == [1]


# -- bad input -----------------------------------------------------------------------------------------

INSIDE = [[5.27, 50.87], [5.28, 50.87], [5.28, 50.875], [5.27, 50.875], [5.27, 50.87]]


def polygon_body(coordinates: Any, geometry_type: str = "Polygon", **props: Any) -> str:
    """Return a proposal body for Sint-Joris as JSON text."""
    return json.dumps(
        {
            "type": "Feature",
            "properties": {"zone_id": "sint-joris", **props},
            "geometry": {"type": geometry_type, "coordinates": coordinates},
        }
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "reason"),
    [
        pytest.param(
            b'{"type": "Feature", "properties": {', 422, "invalid_request", "JSON", id="not-json"
        ),
        pytest.param(
            b'{"type": "Feature", "x": "' + b"a" * 2_100_000 + b'"}',
            413,
            "body_too_large",
            "",
            id="over-2-MB",
        ),
        pytest.param(
            polygon_body(
                [[[5.27, 50.87], [5.28, 50.875], [5.28, 50.87], [5.27, 50.875], [5.27, 50.87]]]
            ),
            422,
            "invalid_shape",
            "Self-intersection",
            id="self-intersecting",
        ),
        pytest.param(
            polygon_body([[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]]]),
            422,
            "invalid_proposal",
            "outside Belgium",
            id="outside-Belgium",
        ),
        pytest.param(
            polygon_body([[[lat, lon] for lon, lat in INSIDE]]),
            422,
            "invalid_proposal",
            "swapped",
            id="swapped",
        ),
        pytest.param(
            polygon_body([[[lon, lat, 40.0] for lon, lat in INSIDE]]),
            422,
            "invalid_proposal",
            "no height",
            id="3D",
        ),
        pytest.param(
            json.dumps(
                {
                    "type": "Feature",
                    "properties": {"zone_id": "sint-joris"},
                    "geometry": {
                        "type": "GeometryCollection",
                        "geometries": [{"type": "Polygon", "coordinates": [INSIDE]}],
                    },
                }
            ),
            422,
            "invalid_proposal",
            "Polygon or MultiPolygon",
            id="GeometryCollection",
        ),
        pytest.param(
            polygon_body([INSIDE]).replace('"sint-joris"', '"atlantis"'),
            422,
            "invalid_proposal",
            "unknown zone id 'atlantis'",
            id="unknown-zone",
        ),
        pytest.param(
            polygon_body([INSIDE]).replace("5.28, 50.875", "NaN, 50.875", 1),
            422,
            "invalid_proposal",
            "finite",
            id="NaN",
        ),
        pytest.param(
            polygon_body([INSIDE]).replace("5.28, 50.875", "Infinity, 50.875", 1),
            422,
            "invalid_proposal",
            "finite",
            id="Infinity",
        ),
        pytest.param(
            polygon_body([INSIDE]).replace("5.28, 50.875", '"5.28", 50.875', 1),
            422,
            "invalid_proposal",
            "valid number",
            id="string-coordinate",
        ),
        pytest.param(polygon_body([INSIDE[:3]]), 422, "invalid_proposal", "4", id="ring-of-three"),
        pytest.param(
            polygon_body([5.27, 50.87], "Point"),
            422,
            "invalid_proposal",
            "Polygon or MultiPolygon",
            id="Point",
        ),
        pytest.param(b"[1, 2, 3]", 422, "invalid_request", "dictionary", id="not-an-object"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(
    shared: Story, body: str | bytes, status: int, code: str, reason: str
) -> None:
    client, headers = shared.client, shared.headers
    before = client.get("/api/proposals", headers=headers["municipality"]).json()
    zones_before = (shared.root / "zones.geojson").read_bytes()
    answer = client.post(
        "/api/proposals",
        content=body,
        headers={**headers["sint-joris"], "Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert reason in json.dumps(answer.json()["detail"])
    if code == "invalid_shape":
        repaired = shapely.geometry.shape(answer.json()["detail"]["repaired"])
        assert repaired.is_valid and repaired.area > 0
    assert client.get("/api/proposals", headers=headers["municipality"]).json() == before
    assert (shared.root / "zones.geojson").read_bytes() == zones_before
    assert [g["number"] for g in client.get("/api/generations").json()] == [1]


# -- the pages -----------------------------------------------------------------------------------------


def test_voorstel_page_is_served_with_a_strict_script_policy(shared: Story) -> None:
    answer = shared.client.get("/voorstel")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self';" in answer.headers["content-security-policy"]
    assert '<form id="signin-form"' in answer.text
    assert 'data-api="/api"' in answer.text
    for src in ("/static/vendor/geoman/leaflet-geoman.min.js", "/static/wabp/voorstel.js"):
        assert f'src="{src}"' in answer.text
        assert shared.client.get(src).status_code == 200


def test_map_without_a_token_is_a_shell_without_data(
    shared: Story, submitted: dict[str, Any]
) -> None:
    answer = shared.client.get(f"/proposals/{submitted['id']}/map")
    assert answer.status_code == 200
    assert answer.headers["vary"] == "Authorization"
    assert 'src="/static/wabp/voorstel.compare.js"' in answer.text
    assert shared.client.get("/static/wabp/voorstel.compare.js").status_code == 200
    # Not a street, a zone or the id: the shell is the same for every proposal.
    for secret in ("Lindestraat", "Sint-Joris", "Terkoest", submitted["id"], "circleMarker"):
        assert secret not in answer.text
    # The same for every proposal, but for the nonce each response gets (service/headers.py).
    other = shared.client.get("/proposals/another-id/map").text
    assert re.sub(' nonce="[^"]+"', "", answer.text) == re.sub(' nonce="[^"]+"', "", other)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param("Bearer not-a-token", 401, id="invalid-token"),
        pytest.param("Bearer ", 401, id="empty-token"),
    ],
)
def test_map_with_a_bad_token(
    shared: Story, submitted: dict[str, Any], authorization: str, status: int
) -> None:
    answer = shared.client.get(
        f"/proposals/{submitted['id']}/map", headers={"Authorization": authorization}
    )
    assert answer.status_code == status
    assert "Lindestraat" not in answer.text


def test_map_of_a_submitted_proposal_lists_its_moves(
    shared: Story, submitted: dict[str, Any]
) -> None:
    answer = shared.client.get(
        f"/proposals/{submitted['id']}/map", headers=shared.headers["sint-joris"]
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    for move in submitted["report"]["moves"]:
        assert f'{move["street"]} <span class="postcode">' in answer.text
    assert "Voorstel voor WABP Sint-Joris" in answer.text


# -- a zone set that would not load is never written --------------------------------------------------


def half_outside_feature(dataset: Dataset) -> dict[str, Any]:
    """Heiligenborn plus a square across the nearest stretch of the municipality border."""
    heiligenborn = dataset.zones.get("heiligenborn").geometry
    assert dataset.boundary is not None
    corner = shapely.ops.nearest_points(dataset.boundary.boundary, heiligenborn)[0]
    square = shapely.box(corner.x - 0.004, corner.y - 0.004, corner.x + 0.004, corner.y + 0.004)
    shape = shapely.set_precision(shapely.union(heiligenborn, square), 1e-7)
    body: dict[str, Any] = json.loads(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"zone_id": "heiligenborn"},
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    )
    return body


def files_of(root: Path) -> dict[str, bytes]:
    """Return the zone files of a dataset directory (zones.geojson and every generation)."""
    paths = [root / "zones.geojson", *sorted((root / "generations").glob("*.geojson"))]
    paths += [root / "generations" / "index.json"]
    return {str(p.relative_to(root)): p.read_bytes() for p in paths if p.is_file()}


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        pytest.param({"type": "Polygon", "coordinates": []}, "empty", id="empty-Polygon"),
        pytest.param({"type": "MultiPolygon", "coordinates": []}, "empty", id="empty-MultiPolygon"),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[4.35, 50.84], [4.36, 50.84], [4.36, 50.85], [4.35, 50.84]]],
            },
            "lies outside the municipality (Alken)",
            id="in-Brussels",
        ),
    ],
)
def test_shapes_with_nothing_of_alken_in_them_are_refused_at_submission(
    shared: Story, geometry: dict[str, Any], reason: str
) -> None:
    client, headers = shared.client, shared.headers
    before = files_of(shared.root)
    body = {"type": "Feature", "properties": {"zone_id": "heiligenborn"}, "geometry": geometry}
    # The municipality may propose for any zone: the coordinators' zone check plays no part.
    answer = client.post("/api/proposals", json=body, headers=headers["municipality"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_proposal"
    assert reason in answer.json()["detail"]
    assert files_of(shared.root) == before


def test_an_approval_that_would_break_the_dataset_writes_nothing(story: Story) -> None:
    client, headers = story.client, story.headers
    submitted = client.post(
        "/api/proposals", json=half_outside_feature(story.dataset), headers=headers["municipality"]
    )
    assert submitted.status_code == 201, submitted.text
    proposal = submitted.json()
    # The report says so honestly: not valid, with the problem the dataset load would raise.
    assert proposal["report"]["valid"] is False
    errors = [p for p in proposal["report"]["problems"] if p["severity"] == "error"]
    # (and that it reaches into Sint-Joris: a take-over the municipality would have to confirm).
    assert [(p["code"], p["zones"]) for p in errors] == [
        ("outside_municipality", ["heiligenborn"]),
        ("overlap", ["heiligenborn", "sint-joris"]),
    ]

    before = files_of(story.root)
    refused = client.post(
        f"/api/proposals/{proposal['id']}/approve", headers=headers["municipality"]
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_zones"
    assert "outside the municipality" in refused.json()["detail"]

    # Nothing written, nothing decided, and the dataset on disk still loads.
    assert files_of(story.root) == before
    assert [g["number"] for g in client.get("/api/generations").json()] == [1]
    stored = client.get(f"/api/proposals/{proposal['id']}", headers=headers["municipality"])
    assert stored.json()["status"] == "submitted"
    Dataset.load(story.root, cache=False)

    # A good proposal is still approved afterwards, and what it writes loads.
    good = client.post(
        "/api/proposals", json=strip_feature(story.dataset), headers=headers["sint-joris"]
    ).json()
    approved = client.post(
        f"/api/proposals/{good['id']}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["result_generation"] == 2
    assert Dataset.load(story.root, cache=False).zones.get("sint-joris")


def _tamper(story: Story, proposal_id: str, geometry: dict[str, Any]) -> None:
    """Give a stored proposal another geometry, as one stored before today's checks could have."""
    engine = make_engine(f"sqlite:///{story.root.parent / 'wabp.sqlite'}")
    with make_sessionmaker(engine)() as session:
        row = session.get(Proposal, proposal_id)
        assert row is not None
        feature = json.loads(row.feature_json)
        row.feature_json = json.dumps({**feature, "geometry": geometry})
        session.commit()
    engine.dispose()


def test_an_empty_proposal_stored_earlier_is_neither_approved_nor_a_500(story: Story) -> None:
    client, headers = story.client, story.headers
    proposal = client.post(
        "/api/proposals", json=strip_feature(story.dataset), headers=headers["sint-joris"]
    ).json()
    _tamper(story, proposal["id"], {"type": "Polygon", "coordinates": []})
    before = files_of(story.root)

    page = client.get(f"/proposals/{proposal['id']}/map", headers=headers["municipality"])
    assert page.status_code == 422 and "empty" in page.json()["detail"]
    refused = client.post(
        f"/api/proposals/{proposal['id']}/approve", headers=headers["municipality"]
    )
    assert refused.status_code == 422 and "empty" in refused.json()["detail"]
    assert files_of(story.root) == before
    Dataset.load(story.root, cache=False)


def test_the_comparison_map_of_a_proposal_with_nothing_to_draw(shared: Story) -> None:
    dataset = shared.dataset
    proposal = parse_proposal(strip_feature(dataset), dataset)
    result, after = report(proposal, dataset)
    target = after.get("sint-joris")
    empty = ZoneSet(
        [Zone(target.props, shapely.Polygon()) if z.id == "sint-joris" else z for z in after]
    )
    nothing = result.model_copy(update={"moves": []})
    html = render_proposal_map(dataset, nothing, empty)
    assert "Voorstel voor WABP Sint-Joris" in html
    assert "fitBounds" in html  # framed on the municipality, not on a shape that has no extent


# -- municipality scope ---------------------------------------------------------------------------------


def test_staff_see_the_proposals_of_their_own_municipality_only(
    shared: Story, submitted: dict[str, Any]
) -> None:
    client, headers = shared.client, shared.headers
    pid = submitted["id"]
    for who in ("municipality", "police"):
        assert pid in [p["id"] for p in client.get("/api/proposals", headers=headers[who]).json()]
    for who in ("elders", "police-elders"):
        assert client.get("/api/proposals", headers=headers[who]).json() == []
        for path in (f"/api/proposals/{pid}", f"/proposals/{pid}/map"):
            unknown = client.get(path, headers=headers[who])
            assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_proposal"
    # No municipality on the account: told how to fix it, not shown an empty list.
    for method, path in (("GET", "/api/proposals"), ("GET", f"/api/proposals/{pid}")):
        refused = client.request(method, path, headers=headers["nowhere"])
        assert refused.status_code == 403 and "--municipality" in refused.json()["detail"]
    # Another municipality's staff may not propose for Alken either.
    foreign = client.post(
        "/api/proposals", json=strip_feature(shared.dataset), headers=headers["elders"]
    )
    assert foreign.status_code == 403 and "Alken" in foreign.json()["detail"]


# -- ids -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/proposals/{id}"),
        ("POST", "/api/proposals/{id}/approve"),
        ("POST", "/api/proposals/{id}/reject"),
        ("GET", "/proposals/{id}/map"),
    ],
)
def test_an_overlong_proposal_id_is_refused_without_echoing_it(
    shared: Story, method: str, path: str
) -> None:
    long_id = "a" * 5000
    body = {"reason": "Te lang."} if path.endswith("reject") else None
    for proposal_id in (long_id, "b" * 33):
        answer = shared.client.request(
            method,
            path.format(id=proposal_id),
            json=body,
            headers=shared.headers["municipality"],
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_request"
        assert proposal_id not in answer.text and len(answer.text) < 500


def test_a_new_group_from_units_over_http(story: Story) -> None:
    """A proposal given as units (a street's odd side) instead of a drawn polygon."""
    client, headers = story.client, story.headers
    reg = story.dataset.register
    odd = {
        reg.housenumbers[a]
        for s in reg.streets
        if s.name == "Grootstraat"
        for a in reg.on_street(s.id)
        if reg.numbers[a] >= 0 and reg.numbers[a] % 2 == 1
    }
    body = {
        "type": "Feature",
        "properties": {"name": "WABP Grootstraat"},
        "geometry": None,
        "units": {"streets": [{"name": "Grootstraat", "numbers": "odd"}]},
    }
    submitted = client.post("/api/proposals", json=body, headers=headers["sint-joris"])
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()["report"]
    assert report["new_group"] and report["zone_id"] == "grootstraat"
    moved = listed(report["moves"])
    # Every odd number of the street joins the new group, and nothing else does.
    assert {street for street, _ in moved} == {"Grootstraat"}
    assert {number for _, number in moved} == odd
    assert {m["to_zone"] for m in report["moves"]} == {"grootstraat"}

    pid = submitted.json()["id"]
    approved = client.post(
        f"/api/proposals/{pid}/approve", json=CONFIRM, headers=headers["municipality"]
    )
    assert approved.status_code == 200, approved.text
    found = client.get("/api/lookup", params={"q": "Grootstraat 101, 3570 Alken"}).json()
    assert [z["name"] for z in found["zones"]] == ["WABP Grootstraat"]
    even = client.get("/api/lookup", params={"q": "Grootstraat 10, 3570 Alken"}).json()
    assert "WABP Grootstraat" not in [z["name"] for z in even["zones"]]
