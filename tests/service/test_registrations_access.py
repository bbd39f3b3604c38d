"""Who may call which registration endpoint: the role x endpoint matrix and changed ids (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.test_registrations import (
    COORD,
    COORD_OTHER,
    POLICE,
    POLICE_ELSEWHERE,
    TOWN,
    TOWN_ELSEWHERE,
    Api,
    data_copy,
    start,
)

__all__ = ["data_copy"]  # the session fixture, imported so that pytest finds it here

UNKNOWN = "0" * 32
ROLES = {"anonymous": None, "coordinator": COORD, "police": POLICE, "municipality": TOWN}
# (method, path, roles allowed): every staff endpoint of the registrations API.
ENDPOINTS = [
    ("GET", "/api/registrations", {"police", "municipality"}),
    ("POST", f"/api/registrations/{UNKNOWN}/approve", {"police"}),
    ("POST", f"/api/registrations/{UNKNOWN}/refuse", {"police"}),
    ("POST", f"/api/registrations/{UNKNOWN}/assign", {"police", "municipality"}),
    ("GET", "/api/groups/heiligenborn/members", {"coordinator"}),
    ("POST", f"/api/groups/heiligenborn/members/{UNKNOWN}/added", {"coordinator"}),
    ("POST", f"/api/groups/heiligenborn/members/{UNKNOWN}/removed", {"coordinator"}),
    ("GET", "/api/audit", {"municipality"}),
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, data_copy: Path) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    yield from start(f"sqlite:///{db}", data_copy)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(
    ("method", "path", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
def test_role_matrix(api: Api, role: str, method: str, path: str, allowed: set[str]) -> None:
    response = api.client.request(
        method, path, headers=api.as_(ROLES[role]), json={"new_group": True}
    )
    if role == "anonymous":
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    elif role in allowed:
        # Past the role check: the unknown id is 404, a list is 200.
        assert response.status_code in (200, 404), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"


def test_every_registration_route_is_in_the_matrix_or_public(api: Api) -> None:
    public = {
        ("POST", "/api/registrations"),
        ("GET", "/api/reglement"),
        ("GET", "/api/aanmelding/{token}"),
        ("GET", "/api/aanmelding/{token}/export"),
        ("POST", "/api/aanmelding/{token}/withdraw"),
    }
    covered = {(m, p.replace(UNKNOWN, "{registration_id}")) for m, p, _ in ENDPOINTS}
    covered = {(m, p.replace("heiligenborn", "{zone_id}")) for m, p in covered}
    prefixes = (
        "/api/registrations",
        "/api/aanmelding",
        "/api/groups/",
        "/api/audit",
        "/api/reglement",
    )
    paths = api.client.get("/openapi.json").json()["paths"]
    operations = {
        (method.upper(), path): operation
        for path, item in paths.items()
        if path.startswith(prefixes)
        for method, operation in item.items()
    }
    routes = set(operations)
    # Every staff route declares the bearer scheme; no public route does.
    for key, operation in operations.items():
        assert bool(operation.get("security")) == (key not in public), key
    assert routes == public | covered


def test_changing_an_id_never_reaches_another_municipality_or_group(api: Api) -> None:
    c = api.client
    alken = api.apply(phone="0470 00 01 01")
    rid = alken["id"]
    # Police and municipality of another municipality: it is as unknown as a missing id.
    assert rid not in str(c.get("/api/registrations", headers=api.as_(POLICE_ELSEWHERE)).json())
    for action in ("approve", "refuse"):
        r = c.post(f"/api/registrations/{rid}/{action}", headers=api.as_(POLICE_ELSEWHERE))
        assert r.status_code == 404 and "Test Aanvrager" not in r.text
    r = c.post(
        f"/api/registrations/{rid}/assign",
        headers=api.as_(TOWN_ELSEWHERE),
        json={"new_group": True},
    )
    assert r.status_code == 404
    assert c.get(f"/api/audit?object_id={rid}", headers=api.as_(TOWN_ELSEWHERE)).json() == []
    assert c.get(f"/api/audit?object_id={rid}", headers=api.as_(TOWN)).json() != []

    assert c.post(f"/api/registrations/{rid}/approve", headers=api.as_(POLICE)).status_code == 200
    # The coordinator of another group: not through their own zone's path, not through this one.
    other = c.post(f"/api/groups/langveld/members/{rid}/added", headers=api.as_(COORD_OTHER))
    assert other.status_code == 404
    for verb in ("added", "removed"):
        r = c.post(f"/api/groups/heiligenborn/members/{rid}/{verb}", headers=api.as_(COORD_OTHER))
        assert r.status_code == 403
    langveld = c.get("/api/groups/langveld/members", headers=api.as_(COORD_OTHER)).json()
    assert rid not in str(langveld)
    # A staff token is no applicant token, and a wrong token finds nothing.
    assert c.get(f"/api/aanmelding/{rid}").status_code == 404
    assert c.post("/api/aanmelding/x/withdraw").status_code == 404


def test_staff_without_a_municipality_see_nothing(api: Api) -> None:
    from service.db import make_sessionmaker
    from service.users import create_user

    with make_sessionmaker(api.engine)() as session:
        create_user(session, "politie@nergens.test", "correct horse battery", "police")
        session.commit()
    token = api.client.post(
        "/api/auth/token",
        data={"username": "politie@nergens.test", "password": "correct horse battery"},
    ).json()["access_token"]
    r = api.client.get("/api/registrations", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "--municipality" in r.json()["detail"]


@pytest.mark.parametrize("given", ["73001", "alken", "Alken"])
def test_cli_scopes_staff_by_the_register_name(
    given: str, data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select
    from typer.testing import CliRunner

    from service.cli import app as cli
    from service.db import make_engine, make_sessionmaker
    from service.tables import User

    url = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    monkeypatch.setenv("WABP_DATABASE_URL", url)
    result = CliRunner().invoke(
        cli,
        ["users", "add", "wijk@politie.test", "--role", "police", "--municipality", given]
        + ["--password-stdin", "--data", str(data_copy)],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        # Registrations store the register's name, so a NIS code or other case must become it.
        assert session.scalar(select(User.municipality)) == "Alken"
    engine.dispose()
