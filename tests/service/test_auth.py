"""Staff accounts and sign-in: the CLI, the token flow end to end, roles and the login limit."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from service.app import create_app
from service.auth import (
    SECRET_FILE,
    CurrentUser,
    ForbiddenError,
    LoginLimiter,
    PoliceUser,
    TooManyAttemptsError,
    UserPublic,
    create_access_token,
    ensure_zone_access,
    load_signing_key,
)
from service.cli import app as cli
from service.db import make_engine, make_sessionmaker, upgrade
from service.settings import Settings
from service.tables import AuditEvent, OutboxMessage, Proposal, RateEvent, User
from service.users import create_user
from tests.conftest import DATA
from tests.service.apps import app_settings

KEY = "test-signing-key-of-at-least-32-bytes"
PASSWORD = "correct horse battery"
runner = CliRunner()


def add_user(*args: str, password: str = PASSWORD) -> Any:
    return runner.invoke(
        cli, ["users", "add", *args, "--password-stdin", "--data", str(DATA)], input=password + "\n"
    )


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI's database (through $WABP_DATABASE_URL), and an engine to look inside it."""
    monkeypatch.setenv("WABP_DATABASE_URL", database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app on an empty database, with a police-only test route and two staff accounts."""
    settings = app_settings(DATA, database_url, secret_key=SecretStr(KEY))
    app = create_app(settings)

    @app.get("/test/police-only")
    def police_only(user: PoliceUser) -> dict[str, str]:
        return {"role": user.role}

    @app.get("/test/whoami")
    def whoami(user: CurrentUser) -> dict[str, str]:
        return {"id": user.id}

    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, "Coord@Example.be", PASSWORD, "coordinator", zone_id="heiligenborn")
        create_user(session, "police@example.be", PASSWORD, "police", municipality="71002")
        session.commit()
    engine.dispose()
    with TestClient(app) as client:
        yield client


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/token", data={"username": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_adds_lists_and_removes_users(cli_db: Engine) -> None:
    result = add_user("Jan@Example.be", "--role", "coordinator", "--zone", "heiligenborn")
    assert result.exit_code == 0, result.output
    assert "added jan@example.be (coordinator, zone heiligenborn)" in result.stdout
    assert add_user("wijk@politie.be", "--role", "police", "--municipality", "73001").exit_code == 0

    listing = runner.invoke(cli, ["users", "list", "--data", str(DATA)])
    assert listing.exit_code == 0
    assert "jan@example.be" in listing.stdout and "wijk@politie.be" in listing.stdout
    assert PASSWORD not in listing.stdout

    removed = runner.invoke(cli, ["users", "remove", "JAN@example.be", "--data", str(DATA)])
    assert removed.exit_code == 0 and "deleted jan@example.be" in removed.stdout

    with make_sessionmaker(cli_db)() as session:
        assert [u.email for u in session.scalars(select(User))] == ["wijk@politie.be"]
        user = session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["user.create", "user.create", "user.delete"]
    assert all("@" not in e.detail for e in events)  # no e-mail addresses in the audit detail


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        pytest.param(["--role", "coordinator"], PASSWORD, "needs a zone", id="coordinator-no-zone"),
        pytest.param(
            ["--role", "coordinator", "--zone", "atlantis"], PASSWORD, "unknown zone", id="bad-zone"
        ),
        pytest.param(["--role", "admin"], PASSWORD, "unknown role", id="bad-role"),
        pytest.param(["--role", "police"], "short", "at least 12", id="short-password"),
        pytest.param(
            ["--role", "police", "--municipality", "As"],
            PASSWORD,
            "this dataset holds no municipality 'As'; it holds: Alken",
            id="municipality-not-held",
        ),
        pytest.param(
            ["--role", "police", "--police-zone", "Kanton Borgloon"],
            PASSWORD,
            "this dataset holds no police zone 'Kanton Borgloon'; it holds: none",
            id="police-zone-not-held",
        ),
        pytest.param(
            ["--role", "municipality", "--police-zone", "Kanton Borgloon"],
            PASSWORD,
            "only a police account belongs to a police zone",
            id="police-zone-for-municipality",
        ),
    ],
)
def test_cli_refuses_bad_accounts_in_one_line(
    cli_db: Engine, args: list[str], password: str, message: str
) -> None:
    result = add_user("x@example.be", *args, password=password)
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_cli_refuses_a_duplicate_email(cli_db: Engine) -> None:
    assert add_user("dup@example.be", "--role", "police").exit_code == 0
    result = add_user("DUP@example.be", "--role", "municipality")
    assert result.exit_code == 1
    assert result.stderr == "error: an account for dup@example.be already exists\n"


def test_cli_remove_unknown_user(cli_db: Engine) -> None:
    result = runner.invoke(cli, ["users", "remove", "nobody@example.be", "--data", str(DATA)])
    assert result.exit_code == 1 and "no account" in result.stderr


def test_cli_remove_keeps_an_author_of_proposals_disabled(cli_db: Engine) -> None:
    assert add_user("c@example.be", "--role", "coordinator", "--zone", "kolmen").exit_code == 0
    with make_sessionmaker(cli_db)() as session:
        author = session.scalars(select(User)).one()
        session.add(Proposal(feature_json="{}", base_generation=1, created_by=author.id))
        session.commit()
    result = runner.invoke(cli, ["users", "remove", "c@example.be", "--data", str(DATA)])
    assert result.exit_code == 0 and "deactivated" in result.stdout
    with make_sessionmaker(cli_db)() as session:
        assert session.scalars(select(User.active)).one() is False


# --- the token flow ----------------------------------------------------------------------------


def test_token_flow_end_to_end(client: TestClient) -> None:
    response = sign_in(client, "  COORD@example.be ")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], KEY, algorithms=["HS256"])
    assert claims["role"] == "coordinator" and set(claims) == {"sub", "role", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 30 * 60

    me = client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    user = UserPublic.model_validate(me.json())
    assert user.email == "coord@example.be" and user.role == "coordinator"
    assert user.zone_id == "heiligenborn" and user.id == claims["sub"]
    # Never the password hash.
    assert set(me.json()) == {"id", "email", "role", "zone_id", "municipality", "police_zone"}


def expired_token(client: TestClient) -> str:
    token = sign_in(client, "police@example.be").json()["access_token"]
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    user = User(id=claims["sub"], role="police")
    return create_access_token(user, KEY.encode(), minutes=-1)


@pytest.mark.parametrize(
    "make_headers",
    [
        pytest.param(lambda c: {}, id="no-token"),
        pytest.param(lambda c: bearer("not-a-jwt"), id="garbage"),
        pytest.param(
            lambda c: bearer(jwt.encode({"sub": "x", "exp": 2**40}, "another-key" * 4)),
            id="wrong-key",
        ),
        pytest.param(
            lambda c: bearer(jwt.encode({"sub": "no-such-user", "exp": 2**40}, KEY)),
            id="unknown-user",
        ),
        pytest.param(lambda c: bearer(expired_token(c)), id="expired"),
    ],
)
def test_me_without_a_valid_token_is_401(client: TestClient, make_headers: Any) -> None:
    response = client.get("/api/auth/me", headers=make_headers(client))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("police@example.be", "wrong password!", id="wrong-password"),
        pytest.param("nobody@example.be", PASSWORD, id="unknown-email"),
    ],
)
def test_wrong_credentials_are_401_and_alike(client: TestClient, email: str, password: str) -> None:
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "wrong e-mail address or password",
    }
    assert response.headers["www-authenticate"] == "Bearer"


def test_token_form_needs_both_fields(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"username": "police@example.be"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_login_limit_then_429(client: TestClient) -> None:
    for _ in range(10):
        assert sign_in(client, "police@example.be", "wrong password!").status_code == 401
    blocked = sign_in(client, "police@example.be")  # even the right password, for a while
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    # Another account from the same address is not blocked.
    assert sign_in(client, "coord@example.be").status_code == 200


def test_many_accounts_from_one_address_then_429(database_url: str) -> None:
    settings = app_settings(DATA, database_url, secret_key=SecretStr(KEY), login_client_limit=5)
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, "police@example.be", PASSWORD, "police", municipality="71002")
        session.commit()
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        for n in range(5):  # a different account each time: the per-account limit never trips
            assert sign_in(client, f"guess{n}@example.be", "wrong password!").status_code == 401
        blocked = sign_in(client, "police@example.be")  # the right password, from this address
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too_many_attempts"
        assert "from this address" in blocked.json()["detail"]
        assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
        elsewhere = TestClient(app, client=("192.0.2.7", 50000))
        assert sign_in(elsewhere, "police@example.be").status_code == 200


def test_login_limiter_per_address_window(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    limiter = LoginLimiter(KEY.encode(), client_max_failures=30, clock=lambda: now[0])
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        for n in range(29):
            limiter.check(session, f"user{n}@example.be", "198.51.100.1")
            limiter.failed(session, f"user{n}@example.be", "198.51.100.1")
        limiter.failed(session, "known@example.be", "198.51.100.1")
        # A correct password for one account does not reset the count of the address.
        limiter.succeeded(session, "known@example.be", "198.51.100.1")
        with pytest.raises(TooManyAttemptsError, match="from this address") as raised:
            limiter.check(session, "someone.else@example.be", "198.51.100.1")
        assert raised.value.headers == {"Retry-After": str(15 * 60)}
        limiter.check(session, "someone.else@example.be", "203.0.113.9")  # another address
        now[0] += timedelta(seconds=15 * 60 + 1)  # the window slid past every failure
        limiter.check(session, "someone.else@example.be", "198.51.100.1")
        # Neither addresses nor e-mail addresses are stored: keyed hashes only.
        keys = " ".join(session.scalars(select(RateEvent.key)))
        assert "198.51.100.1" not in keys and "example.be" not in keys
    engine.dispose()


def test_guesses_spread_over_five_addresses_lock_the_account_everywhere(
    database_url: str,
) -> None:
    # Two app instances on one database: the count is shared, as behind a load balancer.
    settings = app_settings(DATA, database_url, secret_key=SecretStr(KEY))
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, "police@example.be", PASSWORD, "police", municipality="71002")
        session.commit()
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        answers = []
        for n in range(5):  # 5 addresses x 10 guesses, alternating between the two instances
            instance = (one, two)[n % 2].app
            guesser = TestClient(instance, client=(f"198.51.100.{n + 1}", 40000))
            for _ in range(10):
                answers.append(sign_in(guesser, "police@example.be", "wrong password!").status_code)
        # The first 20 are wrong passwords; from then on the account is locked, whoever asks.
        assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}
        owner = TestClient(one.app, client=("203.0.113.50", 40000))
        blocked = sign_in(owner, "police@example.be")  # the right password, a fresh address
        assert blocked.status_code == 429
        assert "locked" in blocked.json()["detail"]
        assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
        assert (
            sign_in(
                TestClient(two.app, client=("203.0.113.51", 1)), "police@example.be"
            ).status_code
            == 429
        )
    with make_sessionmaker(engine)() as session:
        # The owner is told once: a mail in the outbox, and an audit event.
        locked = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.locked"))
        assert len(locked.all()) == 1
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff.locked"))
        assert [m.recipient for m in mails] == ["police@example.be"]
    engine.dispose()


def test_a_disabled_user_can_no_longer_sign_in_or_use_a_token(
    client: TestClient, database_url: str
) -> None:
    token = sign_in(client, "police@example.be").json()["access_token"]
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        session.scalars(select(User).where(User.role == "police")).one().active = False
        session.commit()
    engine.dispose()
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401
    assert sign_in(client, "police@example.be").status_code == 401


# --- roles and zones ---------------------------------------------------------------------------


def test_require_role(client: TestClient) -> None:
    police = sign_in(client, "police@example.be").json()["access_token"]
    coordinator = sign_in(client, "coord@example.be").json()["access_token"]
    assert client.get("/test/police-only", headers=bearer(police)).json() == {"role": "police"}
    wrong = client.get("/test/police-only", headers=bearer(coordinator))
    assert wrong.status_code == 403 and wrong.json()["code"] == "forbidden"
    assert client.get("/test/police-only").status_code == 401


@pytest.mark.parametrize(
    ("role", "own_zone", "zone", "allowed"),
    [
        pytest.param("coordinator", "kolmen", "kolmen", True, id="coordinator-own-zone"),
        pytest.param("coordinator", "kolmen", "langveld", False, id="coordinator-other-zone"),
        pytest.param("coordinator", "kolmen", None, False, id="coordinator-new-group"),
        pytest.param("police", None, "langveld", True, id="police-any-zone"),
        pytest.param("municipality", None, "langveld", True, id="municipality-any-zone"),
    ],
)
def test_ensure_zone_access(
    role: str, own_zone: str | None, zone: str | None, allowed: bool
) -> None:
    user = User(role=role, zone_id=own_zone)
    if allowed:
        ensure_zone_access(user, zone)
    else:
        with pytest.raises(ForbiddenError):
            ensure_zone_access(user, zone)


# --- the signing key ---------------------------------------------------------------------------


def test_signing_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    key = load_signing_key(settings)
    path = tmp_path / SECRET_FILE
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_signing_key(settings) == key
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary file left


def test_configured_signing_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr(KEY), _env_file=None)  # type: ignore[call-arg]
    assert load_signing_key(settings) == KEY.encode()
    assert not (tmp_path / SECRET_FILE).exists()
