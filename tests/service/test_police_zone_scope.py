"""Staff of a police zone: one account sees the applications of all five municipalities.

The dataset is `tests/fixtures/pz` (PZ Kanton Borgloon, 2024: Alken, Borgloon, Heers, Kortessem,
Wellen), made with `wabp init --police-zone "Kanton Borgloon"`; one application per municipality.
A police-zone account sees and vets all five; a municipality account and a police account of one
municipality see only their own, and another municipality's application is unknown to them (404).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.db import make_engine, make_sessionmaker, upgrade
from service.tables import OutboxMessage, User
from service.users import create_user
from tests.police_zone import create_pz_dataset
from tests.service.apps import app_settings, application
from tests.service.staff import csrf_token
from tests.service.test_registrations import PASSWORD
from zones.dataset import Dataset

FIVE = ["Alken", "Borgloon", "Heers", "Kortessem", "Wellen"]
# One application per municipality: (address as typed, municipality as stored).
ADDRESSES = [
    ("Molenstraat 2, Alken", "Alken"),
    ("Kerkstraat 1, Tongeren-Borgloon", "Borgloon"),  # typed with the 2025 name
    ("Kerkstraat 2, 3870 Heers", "Heers"),
    ("Dorpsstraat 2, Hasselt", "Kortessem"),  # Kortessem is part of Hasselt since 2025
    ("Kerkstraat 20, Wellen", "Wellen"),
]
ZONE_POLICE, HEERS_TOWN, WELLEN_POLICE = (
    "pz@kanton.test",
    "gemeente@heers.test",
    "politie@wellen.test",
)
HEERS_COORD = "coord@heers.test"  # coordinator of Heers' wijk 73022w01


@dataclass
class PoliceZoneApi:
    client: TestClient
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]  # municipality -> application id
    url: str

    def listed(self, email: str) -> dict[str, str]:
        response = self.client.get("/api/registrations", headers=self.headers[email])
        assert response.status_code == 200, response.text
        return {r["id"]: r["municipality"] for r in response.json()}


@pytest.fixture(scope="module")
def pz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pz") / "kanton-borgloon"
    create_pz_dataset(root, rules=True)
    # Heers caps its groups lower than WhatsApp does.
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    next(m for m in meta["municipalities"] if m["name"] == "Heers")["member_cap"] = 1
    (root / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def api(pz_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoliceZoneApi]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'wabp.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    held = Dataset.load(pz_root).municipalities
    with make_sessionmaker(engine)() as session:
        create_user(
            session, ZONE_POLICE, PASSWORD, "police", police_zone="Kanton Borgloon", held=held
        )
        create_user(session, HEERS_TOWN, PASSWORD, "municipality", municipality="heers", held=held)
        create_user(session, WELLEN_POLICE, PASSWORD, "police", municipality="73098", held=held)
        create_user(session, HEERS_COORD, PASSWORD, "coordinator", zone_id="73022w01", held=held)
        session.commit()
    engine.dispose()
    settings = app_settings(pz_root, url, registration_rate_limit=1000)
    with TestClient(create_app(settings)) as client:
        headers = {}
        for email in (ZONE_POLICE, HEERS_TOWN, WELLEN_POLICE, HEERS_COORD):
            r = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        ids = {}
        for n, (address, municipality) in enumerate(ADDRESSES):
            r = client.post(
                "/api/registrations",
                json=application(address=address, phone=f"0470 00 00 {n + 10}"),
            )
            assert r.status_code == 201, r.text
            ids[municipality] = r.json()["id"]
        yield PoliceZoneApi(client, headers, ids, url)


def test_accounts_carry_the_scope_as_the_dataset_names_it(api: PoliceZoneApi) -> None:
    me = api.client.get("/api/auth/me", headers=api.headers[ZONE_POLICE]).json()
    assert (me["role"], me["police_zone"], me["municipality"]) == (
        "police",
        "Kanton Borgloon",
        None,
    )
    me = api.client.get("/api/auth/me", headers=api.headers[HEERS_TOWN]).json()
    assert (me["municipality"], me["police_zone"]) == ("Heers", None)
    me = api.client.get("/api/auth/me", headers=api.headers[WELLEN_POLICE]).json()
    assert me["municipality"] == "Wellen"  # given as its NIS code


def test_a_police_zone_account_sees_all_five(api: PoliceZoneApi) -> None:
    listed = api.listed(ZONE_POLICE)
    assert sorted(listed.values()) == FIVE
    assert set(listed) == set(api.ids.values())


@pytest.mark.parametrize(
    ("email", "municipality"),
    [
        pytest.param(HEERS_TOWN, "Heers", id="municipality account"),
        pytest.param(WELLEN_POLICE, "Wellen", id="police of one municipality"),
    ],
)
def test_an_account_of_one_municipality_sees_only_its_own(
    api: PoliceZoneApi, email: str, municipality: str
) -> None:
    assert api.listed(email) == {api.ids[municipality]: municipality}


def test_another_municipality_s_application_is_unknown(api: PoliceZoneApi) -> None:
    borgloon = api.ids["Borgloon"]
    for email, action, body in (
        (WELLEN_POLICE, "refuse", None),
        (HEERS_TOWN, "assign", {"new_group": True}),
    ):
        r = api.client.post(
            f"/api/registrations/{borgloon}/{action}", headers=api.headers[email], json=body
        )
        assert r.status_code == 404, r.text


def test_the_police_zone_vets_every_municipality_and_each_town_audits_its_own(
    api: PoliceZoneApi,
) -> None:
    for municipality in ("Kortessem", "Heers"):
        r = api.client.post(
            f"/api/registrations/{api.ids[municipality]}/approve", headers=api.headers[ZONE_POLICE]
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"
    r = api.client.get("/api/audit", headers=api.headers[HEERS_TOWN])
    assert r.status_code == 200
    assert {e["object_id"] for e in r.json()} == {api.ids["Heers"]}
    assert "registration.approve" in {e["action"] for e in r.json()}


def test_the_police_zone_is_told_of_applications_in_every_municipality(
    api: PoliceZoneApi,
) -> None:
    engine = make_engine(api.url)
    try:
        with make_sessionmaker(engine)() as session:
            told = {
                email
                for email, kind in session.execute(
                    select(User.email, OutboxMessage.kind).join(
                        OutboxMessage, OutboxMessage.user_id == User.id
                    )
                )
                if kind == "police.pending"
            }
    finally:
        engine.dispose()
    assert told == {ZONE_POLICE, WELLEN_POLICE}


def test_a_municipality_s_member_cap_applies_to_its_groups(api: PoliceZoneApi) -> None:
    r = api.client.get("/api/groups/73022w01/members", headers=api.headers[HEERS_COORD])
    assert r.status_code == 200, r.text
    assert r.json()["member_cap"] == 1


def test_proposals_follow_the_scope(api: PoliceZoneApi) -> None:
    # Heers' wijk grown north over Schoolstraat 10: a proposal that concerns Heers only.
    square = [[5.24, 50.85], [5.26, 50.85], [5.26, 50.866], [5.24, 50.866], [5.24, 50.85]]
    feature = {
        "type": "Feature",
        "properties": {"zone_id": "73022w01"},
        "geometry": {"type": "Polygon", "coordinates": [square]},
    }
    r = api.client.post("/api/proposals", json=feature, headers=api.headers[HEERS_COORD])
    assert r.status_code == 201, r.text
    assert r.json()["report"]["municipalities"] == ["Heers"]
    proposal = r.json()["id"]
    for email, sees in ((ZONE_POLICE, True), (HEERS_TOWN, True), (WELLEN_POLICE, False)):
        listed = api.client.get("/api/proposals", headers=api.headers[email])
        assert listed.status_code == 200, listed.text
        assert (proposal in {p["id"] for p in listed.json()}) is sees, email
        one = api.client.get(f"/api/proposals/{proposal}", headers=api.headers[email])
        assert one.status_code == (200 if sees else 404), email


def test_users_add_refuses_what_the_dataset_does_not_hold(pz_root: Path) -> None:
    runner = CliRunner()
    env = {"WABP_DATABASE_URL": f"sqlite:///{pz_root / 'cli.sqlite'}"}
    args = ["users", "add", "x@example.be", "--role", "police", "--password-stdin"]
    result = runner.invoke(
        cli, [*args, "--municipality", "Gent", "--data", str(pz_root)], input=PASSWORD, env=env
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "error: this dataset holds no municipality 'Gent'; it holds: "
        "Alken, Borgloon, Heers, Kortessem, Wellen\n"
    )
    result = runner.invoke(cli, [*args, "--data", str(pz_root)], input=PASSWORD, env=env)
    assert result.exit_code == 1
    assert "needs --municipality or --police-zone" in result.stderr
    assert result.stderr.count("\n") == 1
    result = runner.invoke(
        cli,
        [*args, "--police-zone", "PZ Kanton Borgloon", "--data", str(pz_root)],
        input=PASSWORD,
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "added x@example.be (police, police zone Kanton Borgloon)" in result.stdout


def test_the_municipality_sees_the_police_zone_accounts_it_cannot_manage(
    api: PoliceZoneApi,
) -> None:
    client = api.client
    client.cookies.clear()
    form = client.get("/beheer").text
    signed = client.post(
        "/beheer/inloggen",
        data={"email": HEERS_TOWN, "password": PASSWORD, "csrf_token": csrf_token(form)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    page = client.get("/beheer/gemeente/accounts")
    assert page.status_code == 200
    own, _, zone = page.text.partition("<h2>Politiezone (1)</h2>")
    # Listed under the police zone, read-only: no button acts on it.
    assert ZONE_POLICE in zone and "politie van de politiezone Kanton Borgloon" in zone
    assert ZONE_POLICE not in own
    section = zone.split("<h2>", 1)[0]
    assert "<form" not in section and "Uitschakelen" not in section
    # Wellen's own police account acts for Wellen only: not Heers' to see.
    assert WELLEN_POLICE not in page.text
    client.cookies.clear()
