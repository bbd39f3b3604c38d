"""Registrations over HTTP: apply, vet, hand off, leave; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, String, Text, inspect, select, text

from service import csrf
from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.tables import AuditEvent, Consent, Registration
from service.users import create_user
from tests.service.apps import app_settings, application, copy_dataset
from tests.service.test_signup import Html, form_token

PASSWORD = "correct horse battery"
MEMBER_CAP = 2
# (e-mail, role, zone, municipality): every staff account the tests sign in with.
STAFF = [
    ("politie@alken.test", "police", None, "Alken"),
    ("politie@elders.test", "police", None, "Elders"),
    ("gemeente@alken.test", "municipality", None, "Alken"),
    ("gemeente@elders.test", "municipality", None, "Elders"),
    ("coord.heiligenborn@alken.test", "coordinator", "heiligenborn", None),
    ("coord.langveld@alken.test", "coordinator", "langveld", None),
]


@pytest.fixture(scope="session")
def data_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Alken dataset in a temporary directory, with a member cap of 2 to test a full group."""
    target = tmp_path_factory.mktemp("data") / "alken"
    copy_dataset(target)
    (target / "dataset.json").write_text(f'{{"name": "Alken", "member_cap": {MEMBER_CAP}}}')
    return target


@dataclass
class Api:
    """A started app, the staff's bearer headers and an engine to look inside the database."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    engine: Engine

    def as_(self, email: str | None) -> dict[str, str]:
        return self.headers[email] if email else {}

    def apply(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/api/registrations", json=application(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def start(database_url: str, data_dir: Path) -> Iterator[Api]:
    settings = app_settings(data_dir, database_url, registration_rate_limit=1000)
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        for email, role, zone, municipality in STAFF:
            create_user(session, email, PASSWORD, role, zone_id=zone, municipality=municipality)
        session.commit()
    with TestClient(create_app(settings)) as client:
        headers = {}
        for email, *_ in STAFF:
            r = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield Api(client, headers, engine)
    engine.dispose()


@pytest.fixture
def api(database_url: str, data_copy: Path) -> Iterator[Api]:
    """The app on an empty database (SQLite, and PostgreSQL when configured)."""
    yield from start(database_url, data_copy)


POLICE, POLICE_ELSEWHERE = "politie@alken.test", "politie@elders.test"
TOWN, TOWN_ELSEWHERE = "gemeente@alken.test", "gemeente@elders.test"
COORD, COORD_OTHER = "coord.heiligenborn@alken.test", "coord.langveld@alken.test"


def every_text_value(engine: Engine, skip: frozenset[str] = frozenset()) -> str:
    """Return every string stored in every table (but ``skip``), to search for a person's data."""
    values = []
    with engine.connect() as connection:
        for table in set(inspect(connection).get_table_names()) - skip:
            columns = [
                c["name"]
                for c in inspect(connection).get_columns(table)
                if isinstance(c["type"], String | Text)
            ]
            if columns:
                rows = connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}"))
                values += [str(v) for row in rows for v in row if v is not None]
    return "\n".join(values)


def test_the_whole_story(api: Api) -> None:
    c = api.client
    # 1. A resident applies; the address decides the group.
    created = api.apply(phone="0470 00 00 01", email="lid@example.be")
    assert created["status"] == "pending"
    assert created["group"] == {"zone_id": "heiligenborn", "name": "WABP Heiligenborn"}
    assert created["link"] == f"/aanmelding/{created['token']}"
    token, rid = created["token"], created["id"]
    mine = c.get(f"/api/aanmelding/{token}")
    assert mine.status_code == 200 and mine.json()["status"] == "pending"
    assert mine.headers["cache-control"] == "no-store"

    # Only a hash of the token is stored (and the confirmation mail, until it is sent: it is
    # the link); the three consents carry the dataset's versions.
    assert token not in every_text_value(api.engine, skip=frozenset({"outbox"}))
    with make_sessionmaker(api.engine)() as session:
        assert session.get(Registration, rid) is not None
        consents = session.scalars(select(Consent).where(Consent.registration_id == rid)).all()
        assert {(k.purpose, k.version) for k in consents} == {
            ("rules", "2026-2"),
            ("statement", "2026-2"),
            ("police", "2026-2"),
        }

    # 2. The police of Alken see it; the police elsewhere neither see nor can decide it.
    pending = c.get("/api/registrations?status=pending", headers=api.as_(POLICE))
    assert pending.status_code == 200
    [seen] = pending.json()
    assert (seen["id"], seen["name"], seen["phone"]) == (rid, "Test Aanvrager", "+32470000001")
    assert seen["address"] == "Heiligenbornstraat 12, 3570 Alken"
    assert c.get("/api/registrations", headers=api.as_(POLICE_ELSEWHERE)).json() == []
    assert (
        c.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE_ELSEWHERE)).status_code
        == 404
    )
    # The coordinator sees nobody before the police approve.
    members = c.get("/api/groups/heiligenborn/members", headers=api.as_(COORD)).json()
    assert members["members"] == [] and members["filled"] == 0

    approved = c.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = c.post(f"/api/registrations/{rid}/refuse", headers=api.as_(POLICE))
    assert again.status_code == 409 and again.json()["code"] == "registration_state"
    assert "goedgekeurd" in c.get(f"/api/aanmelding/{token}").json()["message"]

    # 3. The coordinator of the group sees name, phone and street only, and adds them.
    members = c.get("/api/groups/heiligenborn/members", headers=api.as_(COORD)).json()
    assert (members["filled"], members["member_cap"]) == (1, MEMBER_CAP)
    [member] = members["members"]
    assert set(member) == {"id", "name", "phone", "street", "status", "task"}
    assert (member["street"], member["task"]) == ("Heiligenbornstraat", "add")
    assert "lid@example.be" not in str(members)
    assert (
        c.get("/api/groups/heiligenborn/members", headers=api.as_(COORD_OTHER)).status_code == 403
    )
    added = c.post(f"/api/groups/heiligenborn/members/{rid}/added", headers=api.as_(COORD))
    assert added.status_code == 200 and added.json()["task"] is None

    # 4. The member downloads their data, then leaves: a removal task, then the record goes.
    export = c.get(f"/api/aanmelding/{token}/export")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    data = export.json()
    assert (data["name"], data["phone"], data["email"]) == (
        "Test Aanvrager",
        "+32470000001",
        "lid@example.be",
    )
    assert [k["purpose"] for k in data["consents"]] == ["police", "rules", "statement"]
    assert "registration.approve" in [h["action"] for h in data["history"]]
    left = c.post(f"/api/aanmelding/{token}/withdraw")
    assert left.json()["outcome"] == "leaving"
    [member] = c.get("/api/groups/heiligenborn/members", headers=api.as_(COORD)).json()["members"]
    assert member["task"] == "remove"
    removed = c.post(f"/api/groups/heiligenborn/members/{rid}/removed", headers=api.as_(COORD))
    assert removed.json() == {"outcome": "erased"}
    assert c.get(f"/api/aanmelding/{token}").status_code == 404
    stored = every_text_value(api.engine)
    for personal in (
        "Test Aanvrager",
        "+32470000001",
        "470000001",
        "lid@example.be",
        "Heiligenbornstraat 12",
    ):
        assert personal not in stored

    # 5. The municipality's audit log says who saw and changed it; the police cannot read it.
    audit = c.get(f"/api/audit?object_id={rid}", headers=api.as_(TOWN))
    assert audit.status_code == 200
    actions = [(e["action"], e["actor_role"]) for e in audit.json()]
    for expected in [
        ("registration.submit", "applicant"),
        ("registration.read", "police"),
        ("registration.approve", "police"),
        ("member.read", "coordinator"),
        ("member.added", "coordinator"),
        ("registration.export", "applicant"),
        ("registration.leaving", "applicant"),
        ("member.removed", "coordinator"),
        ("registration.erase", "applicant"),
    ]:
        assert expected in actions
    assert c.get("/api/audit", headers=api.as_(TOWN_ELSEWHERE)).json() == []
    assert c.get("/api/audit", headers=api.as_(POLICE)).status_code == 403


def test_refusal_is_neutral_and_keeps_no_reason(api: Api) -> None:
    created = api.apply(email="weg@example.be")
    refused = api.client.post(
        f"/api/registrations/{created['id']}/refuse",
        headers=api.as_(POLICE),
        json={"reason": "must not be stored"},
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    message = api.client.get(f"/api/aanmelding/{created['token']}").json()["message"]
    assert "niet worden goedgekeurd" in message
    # The address stays only in the mails still waiting to tell the decision (no SMTP server
    # here); once sent they keep none (tests/service/test_mail.py).
    assert "must not be stored" not in every_text_value(api.engine)
    assert "weg@example.be" not in every_text_value(api.engine, skip=frozenset({"outbox"}))
    # A refused applicant is not a member, and withdrawing erases at once.
    assert (
        api.client.get("/api/groups/heiligenborn/members", headers=api.as_(COORD)).json()["members"]
        == []
    )
    out = api.client.post(f"/api/aanmelding/{created['token']}/withdraw").json()
    assert out["outcome"] == "erased"
    assert "Test Aanvrager" not in every_text_value(api.engine)


def test_address_in_no_zone(api: Api) -> None:
    c = api.client
    no_zone = "Stationsstraat 1, 3570 Alken"
    refused = c.post("/api/registrations", json=application(address=no_zone))
    assert refused.status_code == 422 and refused.json()["code"] == "no_group"
    assert "coördinator" in refused.json()["detail"]

    starter = api.apply(address=no_zone, role="coordinator", phone="0470 00 00 02")
    assert starter["group"] is None
    rid = starter["id"]
    # Undecided: the police cannot approve yet; the municipality finds it among the unassigned.
    blocked = c.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE))
    assert blocked.status_code == 409 and "groep" in blocked.json()["detail"]
    unassigned = c.get("/api/registrations?unassigned=true", headers=api.as_(TOWN)).json()
    assert [r["id"] for r in unassigned] == [rid]
    both = c.post(
        f"/api/registrations/{rid}/assign",
        headers=api.as_(TOWN),
        json={"zone_id": "langveld", "new_group": True},
    )
    assert both.status_code == 422
    unknown = c.post(
        f"/api/registrations/{rid}/assign", headers=api.as_(TOWN), json={"zone_id": "nergens"}
    )
    assert unknown.status_code == 422 and "zone" in unknown.json()["detail"]
    elsewhere = c.post(
        f"/api/registrations/{rid}/assign",
        headers=api.as_(TOWN_ELSEWHERE),
        json={"new_group": True},
    )
    assert elsewhere.status_code == 404
    new = c.post(
        f"/api/registrations/{rid}/assign", headers=api.as_(TOWN), json={"new_group": True}
    )
    assert new.status_code == 200 and new.json()["new_group"] is True
    assert c.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE)).status_code == 200
    assert "nieuwe groep" in c.get(f"/api/aanmelding/{starter['token']}").json()["message"]


def test_approving_beyond_the_member_cap_is_refused(api: Api) -> None:
    ids = [api.apply(phone=f"0470 00 00 1{i}")["id"] for i in range(MEMBER_CAP + 1)]
    for rid in ids[:MEMBER_CAP]:
        ok = api.client.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE))
        assert ok.status_code == 200
    full = api.client.post(f"/api/registrations/{ids[-1]}/approve", headers=api.as_(POLICE))
    assert full.status_code == 409 and full.json()["code"] == "group_full"
    assert f"{MEMBER_CAP} van de {MEMBER_CAP}" in full.json()["detail"]
    group = api.client.get("/api/groups/heiligenborn/members", headers=api.as_(COORD)).json()
    assert group["filled"] == MEMBER_CAP


def test_no_personal_data_in_log_lines(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    created = api.apply(name="Logtest Persoon", phone="0470 00 00 77", email="log@example.be")
    api.client.get("/api/registrations", headers=api.as_(POLICE))
    api.client.post(f"/api/registrations/{created['id']}/approve", headers=api.as_(POLICE))
    api.client.get("/api/groups/heiligenborn/members", headers=api.as_(COORD))
    api.client.get(f"/api/aanmelding/{created['token']}/export")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for personal in ("Logtest", "470000077", "log@example.be", "Heiligenbornstraat 12"):
        assert personal not in logged
    events = every_text_value(api.engine)
    with make_sessionmaker(api.engine)() as session:
        details = " ".join(e.detail for e in session.scalars(select(AuditEvent)))
    assert "Logtest" in events  # stored in the registration itself ...
    assert "Logtest" not in details and "470000077" not in details  # ... never in the audit log


def test_duplicates_count_only_the_own_municipality(api: Api) -> None:
    mine = api.apply(phone="0470 00 00 55")
    # The same phone number applied in another municipality (a register this dataset lacks).
    with make_sessionmaker(api.engine)() as session:
        session.add(
            Registration(
                token_hash="e" * 64,
                role="participant",
                name="Elders Aanvrager",
                phone="+32470000055",
                relation="live",
                street="Dorpsstraat",
                housenumber="1",
                postcode="9999",
                municipality="Elders",
            )
        )
        session.commit()

    def counts(email: str) -> dict[str, int]:
        listed = api.client.get("/api/registrations", headers=api.as_(email)).json()
        return {r["municipality"]: r["duplicates"] for r in listed}

    # Neither police learns that the number applied in the other town.
    assert counts(POLICE) == {"Alken": 0}
    assert counts(POLICE_ELSEWHERE) == {"Elders": 0}
    again = api.apply(phone="0470 00 00 55", name="Tweede Aanvrager")
    assert counts(POLICE) == {"Alken": 1}
    approved = api.client.post(f"/api/registrations/{again['id']}/approve", headers=api.as_(POLICE))
    assert approved.json()["duplicates"] == 1 and mine["id"] != again["id"]


def test_a_leaving_member_reads_when_the_data_go(api: Api) -> None:
    created = api.apply(phone="0470 00 00 66")
    api.client.post(f"/api/registrations/{created['id']}/approve", headers=api.as_(POLICE))
    private = f"/aanmelding/{created['token']}"
    ask = api.client.get(f"{private}/intrekken")
    done = api.client.post(f"{private}/intrekken", data={csrf.FIELD: form_token(ask.text)})
    assert done.status_code == 200
    said = Html(done.text).text
    # Kept until the coordinator removes them, or the retention for leaving members ends.
    assert "Uw gegevens zijn gewist" not in said
    # Approved, never added: the coordinator is told not to add them (not to remove them).
    assert "U zat nog niet in de WhatsApp-groep" in said
    assert "Zodra hij dat bevestigt, wissen wij uw gegevens, en uiterlijk na 30 dagen." in said
    assert api.client.get(f"/api/aanmelding/{created['token']}").json()["status"] == "leaving"
