"""Bad applications get a 4xx that says why; limits on size and rate; the rules texts (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.db import make_engine, make_sessionmaker, upgrade
from service.ratelimit import RateLimitedError, RegistrationLimiter
from service.registrations import RegistrationIn
from tests.service.apps import application
from tests.service.test_registrations import Api, data_copy, start

__all__ = ["data_copy"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, data_copy: Path) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    yield from start(f"sqlite:///{db}", data_copy)


def _reasons(body: dict[str, Any]) -> str:
    detail = body["detail"]
    return json.dumps(detail, ensure_ascii=False) if not isinstance(detail, str) else detail


BAD = [
    pytest.param({"consent_police": False}, 422, "politie", id="no-police-consent"),
    pytest.param({"accept_rules": False}, 422, "reglement", id="rules-not-accepted"),
    pytest.param({"accept_statement": None}, 422, "accept_statement", id="statement-missing"),
    pytest.param({"adult": False}, 422, "meerderjarig", id="not-adult"),
    pytest.param({"phone": "hallo"}, 422, "geen telefoonnummer", id="phone-not-a-number"),
    pytest.param({"phone": "011 21 21 21"}, 422, "gsm", id="phone-landline"),
    pytest.param({"phone": "02 123 45 67"}, 422, "geldig", id="phone-invalid"),
    pytest.param({"phone": "0470" + "0" * 40}, 422, "phone", id="phone-oversize"),
    pytest.param(
        {"address": "Hasseltsesteenweg 1, 3570 Alken"}, 422, "niet", id="address-not-found"
    ),
    pytest.param({"address": "Straat 1"}, 422, "candidates", id="address-ambiguous"),
    pytest.param({"address": "Heiligenbornstraat"}, 422, "huisnummer", id="address-no-number"),
    pytest.param({"address": "x" * 201}, 422, "address", id="address-oversize"),
    pytest.param({"name": "A" * 101}, 422, "100", id="name-oversize"),
    pytest.param({"name": "   "}, 422, "naam", id="name-blank"),
    pytest.param({"name": "<script>alert(1)</script>"}, 422, "< of >", id="name-script"),
    pytest.param({"name": "Jan <b>Vet</b>"}, 422, "< of >", id="name-html"),
    pytest.param({"name": "Test\u202eAanvrager"}, 422, "stuurteken", id="name-bidi-override"),
    pytest.param({"name": "Test\x00Aanvrager"}, 422, "stuurteken", id="name-control-char"),
    pytest.param({"email": "geen-adres"}, 422, "email", id="email-invalid"),
    pytest.param({"relation": "visit"}, 422, "relation", id="relation-unknown"),
    pytest.param({"role": "admin"}, 422, "role", id="role-unknown"),
    pytest.param({"extra": "field"}, 422, "extra", id="extra-field"),
]


@pytest.mark.parametrize(("change", "status", "reason"), BAD)
def test_bad_application(api: Api, change: dict[str, Any], status: int, reason: str) -> None:
    response = api.client.post("/api/registrations", json=application(**change))
    assert response.status_code == status, response.text
    assert reason in _reasons(response.json())
    # Validation errors never echo the input back (it may hold a resident's data).
    assert "Test Aanvrager" not in response.text


def test_ambiguous_address_lists_candidates(api: Api) -> None:
    body = api.client.post("/api/registrations", json=application(address="Straat 1")).json()
    assert body["code"] == "ambiguous_address"
    assert body["detail"]["candidates"] and all("3570" in c for c in body["detail"]["candidates"])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0470 00 00 09", "+32470000009"),
        ("+32 470 00 00 09", "+32470000009"),
        ("0032470000009", "+32470000009"),
        ("+31 6 12345678", "+31612345678"),  # a Dutch neighbour working here has a Dutch mobile
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert RegistrationIn.model_validate(application(phone=typed)).phone == stored


def test_names_are_tidied_but_kept(api: Api) -> None:
    data = RegistrationIn.model_validate(application(name="  Anne-Marie   D'Hondt  "))
    assert data.name == "Anne-Marie D'Hondt"
    # An apostrophe or ampersand is text; JSON carries it as such and templates escape it.
    created = api.apply(name="Els & Co'", phone="0470 00 02 02")
    listed = api.client.get("/api/registrations", headers=api.as_("politie@alken.test")).json()
    assert "Els & Co'" in [r["name"] for r in listed if r["id"] == created["id"]]


def test_an_empty_email_field_means_none() -> None:
    assert RegistrationIn.model_validate(application(email=" ")).email is None


def test_oversize_body_is_refused_before_parsing(api: Api) -> None:
    body = json.dumps(application(name="x" * 20_000))
    response = api.client.post(
        "/api/registrations", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    app = api.client.app
    secret = app.state.signing_key  # type: ignore[attr-defined]
    # A day on: the applications of this module's other tests have left the window.
    later = RegistrationLimiter(secret, 2, 600, clock=lambda: datetime.now(UTC) + timedelta(1))
    app.state.registration_limiter = later  # type: ignore[attr-defined]
    try:
        codes = [
            api.client.post(
                "/api/registrations", json=application(consent_police=False)
            ).status_code
            for _ in range(3)
        ]
        assert codes == [422, 422, 429]
        limited = api.client.post("/api/registrations", json=application())
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert "minuten" in limited.json()["detail"]
    finally:
        del app.state.registration_limiter  # type: ignore[attr-defined]


def test_one_ipv6_network_is_one_client_for_the_limit(api: Api) -> None:
    # A phone or home holds a whole /64 and picks its addresses in it: new addresses in that
    # network are the same client; another network has its own count.
    app = api.client.app
    secret = app.state.signing_key  # type: ignore[attr-defined]
    later = RegistrationLimiter(secret, 2, 600, clock=lambda: datetime.now(UTC) + timedelta(2))
    app.state.registration_limiter = later  # type: ignore[attr-defined]

    def post_from(host: str) -> int:
        client = TestClient(app, client=(host, 50000))
        return client.post("/api/registrations", json=application(consent_police=False)).status_code

    try:
        hosts = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::7", "2001:db8:1:2:ffff:1:2:3"]
        assert [post_from(h) for h in hosts] == [422, 422, 429]
        assert post_from("2001:db8:1:3::1") == 422
        # An IPv4 address written as IPv6 is that IPv4 address.
        assert [post_from(h) for h in ("192.0.2.50", "::ffff:192.0.2.50", "192.0.2.50")] == [
            422,
            422,
            429,
        ]
    finally:
        del app.state.registration_limiter  # type: ignore[attr-defined]


def test_the_window_forgets_old_attempts_and_stores_no_address(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.sqlite'}")
    upgrade(engine)
    now = [datetime(2026, 12, 2, 12, 0, tzinfo=UTC)]
    limiter = RegistrationLimiter(b"k" * 32, 2, 60, clock=lambda: now[0])
    with make_sessionmaker(engine)() as session:
        limiter.hit(session, "192.0.2.7")
        limiter.hit(session, "192.0.2.7")
        limiter.hit(session, "192.0.2.8")  # another address has its own count
        with pytest.raises(RateLimitedError) as raised:
            limiter.hit(session, "192.0.2.7")
        assert raised.value.retry_after == 60
        now[0] += timedelta(seconds=60.5)
        limiter.hit(session, "192.0.2.7")
        stored = session.execute(text("SELECT scope, key FROM rate_events")).all()
    assert {scope for scope, _ in stored} == {"registration:client"}
    assert not any("192.0.2" in key for _, key in stored)  # a keyed hash, never the address
    engine.dispose()


def test_the_rules_texts_and_versions_are_served(api: Api) -> None:
    rules = api.client.get("/api/reglement").json()
    assert rules["rules_version"] == "2026-2" and rules["statement_version"] == "2026-2"
    assert "101" in rules["rules"] and "SAAR" in rules["rules"]
    assert "nummerplaten" in rules["rules"] and "telefoonnummer" in rules["rules"]
    assert "Intentieverklaring" in rules["statement"]


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/aanmelding/SeCrEt-ToKeN", "/aanmelding/***"),
        ("/api/aanmelding/SeCrEt-ToKeN/export", "/api/aanmelding/***/export"),
        ("/api/aanmelding/SeCrEt-ToKeN/withdraw?x=1", "/api/aanmelding/***/withdraw?x=1"),
        ("/api/lookup?q=Heiligenbornstraat+12", "/api/lookup"),
        ("/api/registrations?status=pending", "/api/registrations?status=pending"),
    ],
)
def test_private_tokens_never_reach_the_access_log(path: str, logged: str) -> None:
    import logging

    from service.privacy import DropPrivateQueryStrings

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200), None,
    )  # fmt: skip
    DropPrivateQueryStrings().filter(record)
    assert f"GET {logged} HTTP" in record.getMessage()
    assert "SeCrEt" not in record.getMessage()
