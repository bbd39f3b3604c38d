"""Security headers: nosniff, no framing and a referrer policy on every response."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.headers import HSTS, MINIMAL_CSP
from tests.conftest import DATA
from tests.service.apps import app_settings

EVERYWHERE = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}
NONCE = re.compile(r"script-src 'self' 'nonce-([^']+)'")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/", id="public-map"),
        pytest.param("/dekking", id="coverage"),
        pytest.param("/proposals/unknown/map", id="comparison-map-shell"),
    ],
)
def test_html_pages_without_a_policy_get_a_nonce_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert {k: response.headers.get(k) for k in EVERYWHERE} == EVERYWHERE
    assert response.headers["referrer-policy"] == "same-origin"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    match = NONCE.search(policy)
    assert match is not None, policy
    # Every script of the page carries this response's nonce; the next response has another one.
    tags = re.findall(r"<script\b[^>]*>", response.text, flags=re.IGNORECASE)
    assert all(f'nonce="{match.group(1)}"' in tag for tag in tags)
    assert tags or path == "/dekking"  # the coverage page runs no script
    assert int(response.headers["content-length"]) == len(response.content)
    again = NONCE.search(client.get(path).headers["content-security-policy"])
    assert again is not None and again.group(1) != match.group(1)


def test_the_comparison_map_shell_gets_its_map_with_its_own_nonce(client: TestClient) -> None:
    # The shell writes the fetched map into itself: the map must carry the shell's nonce.
    nonce = "c2hlbGwtbm9uY2UtMTIzNDU2"
    response = client.get("/proposals/unknown/map", headers={"X-CSP-Nonce": nonce})
    assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]
    bad = client.get("/proposals/unknown/map", headers={"X-CSP-Nonce": "x' 'unsafe-inline"})
    assert "unsafe-inline' 'nonce" not in bad.headers["content-security-policy"]
    assert "'nonce-x'" not in bad.headers["content-security-policy"]


def test_api_docs_keep_the_minimal_policy(tmp_path: Path) -> None:
    # Swagger UI comes from a CDN: served only with WABP_API_DOCS, and then without nonces.
    settings = app_settings(DATA, f"sqlite:///{tmp_path / 'wabp.sqlite'}", api_docs=True)
    with TestClient(create_app(settings)) as docs:
        assert docs.get("/docs").headers["content-security-policy"] == MINIMAL_CSP


@pytest.mark.parametrize(("scheme", "hsts"), [("https", HSTS), ("http", None)])
def test_hsts_only_over_https(client: TestClient, scheme: str, hsts: str | None) -> None:
    response = client.get(f"{scheme}://testserver/healthz")
    assert response.headers.get("strict-transport-security") == hsts


@pytest.mark.parametrize(
    ("path", "referrer", "csp"),
    [
        pytest.param("/voorstel", "same-origin", "script-src 'self'", id="draw-page"),
        pytest.param("/aanmelden", "same-origin", "default-src 'none'", id="registration-form"),
    ],
)
def test_a_page_keeps_its_own_policy(
    client: TestClient, path: str, referrer: str, csp: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert {k: response.headers.get(k) for k in EVERYWHERE} == EVERYWHERE
    assert response.headers["referrer-policy"] == referrer
    [policy] = response.headers.get_list("content-security-policy")
    assert csp in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/healthz", 200, id="json"),
        pytest.param("GET", "/static/wabp/public-map.css", 200, id="static"),
        pytest.param("GET", "/api/zones/nowhere", 404, id="error"),
        pytest.param("POST", "/api/lookup/batch", 413, id="body-too-large"),
    ],
)
def test_other_responses_get_the_headers_but_no_csp(
    client: TestClient, method: str, path: str, status: int
) -> None:
    content = b"x" * 3_000_000 if status == 413 else None
    response = client.request(method, path, content=content)
    assert response.status_code == status
    assert {k: response.headers.get(k) for k in EVERYWHERE} == EVERYWHERE
    assert response.headers["referrer-policy"] == "same-origin"
    assert "content-security-policy" not in response.headers
