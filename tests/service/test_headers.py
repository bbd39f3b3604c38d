"""Security headers: nosniff, no framing and a referrer policy on every response."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.headers import DEFAULT_CSP

EVERYWHERE = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/", id="public-map"),
        pytest.param("/dekking", id="coverage"),
        pytest.param("/proposals/unknown/map", id="comparison-map-shell"),
    ],
)
def test_html_pages_without_a_policy_get_the_default(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert {k: response.headers.get(k) for k in EVERYWHERE} == EVERYWHERE
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["content-security-policy"] == DEFAULT_CSP
    assert "frame-ancestors 'none'" in DEFAULT_CSP


@pytest.mark.parametrize(
    ("path", "referrer", "csp"),
    [
        pytest.param("/voorstel", "same-origin", "script-src 'self'", id="draw-page"),
        pytest.param("/aanmelden", "no-referrer", "default-src 'none'", id="registration-form"),
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
