"""Signing in on /beheer: the session cookie, lock-out, sign-out, own password, role start pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.service.staff import PASSWORD, STAFF, csrf_token, post_form, sign_in, staff_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with staff_app(tmp_path_factory.mktemp("signin")) as client:
        yield client


def test_sign_in_form_is_dutch_and_has_the_fields(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/beheer")
    assert page.status_code == 200
    assert 'lang="nl"' in page.text
    for text in ('<label for="email">E-mailadres', '<label for="password">Wachtwoord', "Inloggen"):
        assert text in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("who", "start"),
    [
        pytest.param("police", "/beheer/politie", id="police"),
        pytest.param("town", "/beheer/gemeente", id="municipality"),
        pytest.param("coord", "/beheer/groep", id="coordinator"),
    ],
)
def test_each_role_lands_on_its_own_start_page(client: TestClient, who: str, start: str) -> None:
    answer = sign_in(client, who)
    assert answer.status_code == 303 and answer.headers["location"] == start
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("wabp_session=")
    for flag in ("HttpOnly", "Path=/beheer", "SameSite=strict"):
        assert flag.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http in tests; https sets Secure
    # Signed in, /beheer itself goes to the start page.
    again = client.get("/beheer", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == start


def test_session_cookie_is_secure_under_https(tmp_path_factory: pytest.TempPathFactory) -> None:
    with staff_app(tmp_path_factory.mktemp("https")) as client:
        client.base_url = client.base_url.copy_with(scheme="https")  # type: ignore[misc]
        answer = sign_in(client, "police")
        assert answer.status_code == 303
        assert "secure" in answer.headers["set-cookie"].lower()


def test_wrong_password_is_refused_in_dutch_and_keeps_the_address(client: TestClient) -> None:
    answer = sign_in(client, "police", password="wrong password!!")
    assert answer.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in answer.text
    assert f'value="{STAFF["police"][0]}"' in answer.text
    assert "wabp_session" not in answer.headers.get("set-cookie", "")


def test_lock_out_after_ten_failures_as_the_token_api(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with staff_app(tmp_path_factory.mktemp("lockout")) as client:
        for _ in range(10):
            assert sign_in(client, "town", password="wrong password!!").status_code == 401
        locked = sign_in(client, "town")  # even the right password, for a while
        assert locked.status_code == 429 and "Retry-After" in locked.headers
        assert "Te veel mislukte pogingen" in locked.text
        # The API shares the same counter: the lock-out is one rule, not two.
        api = client.post(
            "/api/auth/token", data={"username": STAFF["town"][0], "password": PASSWORD}
        )
        assert api.status_code == 429


def test_sign_in_without_csrf_token_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    client.get("/beheer")
    answer = client.post(
        "/beheer/inloggen",
        data={"email": STAFF["police"][0], "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "Geen toegang" in answer.text


def test_sign_out_ends_the_session_on_the_server(client: TestClient) -> None:
    sign_in(client, "police")
    cookie = client.cookies.get("wabp_session")
    assert cookie
    out = post_form(client, "/beheer/politie", "/beheer/afmelden")
    assert out.status_code == 303 and out.headers["location"] == "/beheer?melding=afgemeld"
    assert "U bent afgemeld." in client.get(out.headers["location"]).text
    # The old cookie, replayed, signs nobody in any more.
    client.cookies.set("wabp_session", cookie, path="/beheer")
    answer = client.get("/beheer/politie", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer?volgende=/beheer/politie"


def test_sign_in_returns_to_the_page_asked_for(client: TestClient) -> None:
    client.cookies.clear()
    form = client.get("/beheer?volgende=/beheer/politie/beslist")
    answer = client.post(
        "/beheer/inloggen",
        data={
            "email": STAFF["police"][0],
            "password": PASSWORD,
            "volgende": "/beheer/politie/beslist",
            "csrf_token": csrf_token(form.text),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/beheer/politie/beslist"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/beheer", "/beheer/../x", "/elders"]
)
def test_no_open_redirect_after_sign_in(client: TestClient, target: str) -> None:
    client.cookies.clear()
    form = client.get("/beheer")
    answer = client.post(
        "/beheer/inloggen",
        data={
            "email": STAFF["police"][0],
            "password": PASSWORD,
            "volgende": target,
            "csrf_token": csrf_token(form.text),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] in ("/beheer/politie", target) and answer.headers[
        "location"
    ].startswith("/beheer/")


def test_change_own_password(tmp_path_factory: pytest.TempPathFactory) -> None:
    with staff_app(tmp_path_factory.mktemp("password")) as client:
        sign_in(client, "coord")
        old_cookie = client.cookies.get("wabp_session")
        new = "a new and longer password"
        short = post_form(
            client,
            "/beheer/wachtwoord",
            "/beheer/wachtwoord",
            {"current": PASSWORD, "new": "kort", "repeat": "kort"},
        )
        assert short.status_code == 422 and "minstens 12 tekens" in short.text
        wrong = post_form(
            client,
            "/beheer/wachtwoord",
            "/beheer/wachtwoord",
            {"current": "not my password", "new": new, "repeat": new},
        )
        assert wrong.status_code == 401 and "Dit wachtwoord klopt niet." in wrong.text
        changed = post_form(
            client,
            "/beheer/wachtwoord",
            "/beheer/wachtwoord",
            {"current": PASSWORD, "new": new, "repeat": new},
        )
        assert changed.status_code == 303
        assert changed.headers["location"] == "/beheer/groep?melding=wachtwoord"
        # This browser stays signed in with a new session; the old session is over.
        assert client.get("/beheer/wachtwoord").status_code == 200
        assert client.cookies.get("wabp_session") != old_cookie
        assert sign_in(client, "coord").status_code == 401
        assert sign_in(client, "coord", password=new).status_code == 303


def test_expired_sessions_sign_nobody_in_and_are_purged(client: TestClient) -> None:
    from datetime import timedelta

    from service.sessions import end_expired, session_user, start_session
    from service.tables import User, utcnow

    factory = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with factory() as session:
        user = session.query(User).filter_by(email=STAFF["police"][0]).one()
        old = start_session(session, user, hours=1, now=utcnow() - timedelta(hours=2))
        session.commit()
        client.cookies.clear()
        client.cookies.set("wabp_session", old, path="/beheer")
        assert client.get("/beheer/politie", follow_redirects=False).status_code == 303
        assert end_expired(session) >= 1
        session.commit()
        with pytest.raises(Exception, match="unknown or expired"):
            session_user(session, old)
