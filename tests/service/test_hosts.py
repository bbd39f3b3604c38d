"""The Host header decides nothing: allowed hosts, links from the base URL, and the Origin check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA
from tests.service.apps import app_settings, application

BASE = "https://wabp.alken.test"
ALIAS = "buurtpreventie.alken.test"
BATCH = ["Heiligenbornstraat 12, 3570 Alken"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("hosts") / "wabp.sqlite"
    settings = app_settings(DATA, f"sqlite:///{db}", base_url=BASE, allowed_hosts=ALIAS)
    with TestClient(create_app(settings), base_url=f"http://{ALIAS}") as client:
        yield client


@pytest.mark.parametrize(
    ("host", "status"),
    [
        pytest.param("wabp.alken.test", 200, id="base-url-host"),
        pytest.param(ALIAS, 200, id="allowed-alias"),
        pytest.param("evil.example", 400, id="other-host"),
        pytest.param("wabp.alken.test.evil.example", 400, id="suffix-trick"),
    ],
)
def test_only_configured_hosts_are_answered(site: TestClient, host: str, status: int) -> None:
    assert site.get("/healthz", headers={"Host": host}).status_code == status


def test_without_configuration_only_loopback_names_are_answered(client: TestClient) -> None:
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200


def test_allowed_hosts_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WABP_ALLOWED_HOSTS", "wabp.alken.be, *.Alken.be")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.allowed_hosts == ["wabp.alken.be", "*.alken.be"]


def test_the_private_link_uses_the_base_url_not_the_host_header(site: TestClient) -> None:
    created = site.post(
        "/api/registrations", json=application(), headers={"X-Forwarded-For": "10.9.0.1"}
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    page = site.get(f"/aanmelding/{token}", headers={"Host": ALIAS})
    assert page.status_code == 200
    assert f'href="{BASE}/aanmelding/{token}"' in page.text
    assert ALIAS not in page.text


def test_no_redirect_is_built_from_the_request(site: TestClient) -> None:
    # Starlette's trailing-slash redirect would name the request's host: it is off.
    response = site.get("/api/zones/", follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Origin": BASE}, 200, id="base-url-origin"),
        pytest.param({"Origin": f"http://{ALIAS}"}, 200, id="own-host"),
        pytest.param({}, 200, id="no-origin-api-client"),
        pytest.param({"Origin": "https://evil.example"}, 403, id="other-site"),
        pytest.param({"Origin": "null"}, 403, id="opaque-origin"),
        pytest.param({"Referer": "https://evil.example/page"}, 403, id="other-site-referer"),
        pytest.param({"Referer": f"{BASE}/aanmelden"}, 200, id="own-referer"),
    ],
)
def test_unsafe_requests_from_another_site_are_refused(
    site: TestClient, headers: dict[str, str], status: int
) -> None:
    response = site.post("/api/lookup/batch", json=BATCH, headers=headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["code"] == "cross_origin"
