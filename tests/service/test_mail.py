"""E-mail against a real SMTP server (aiosmtpd): confirmation, decision, retries, refusals.

The app's own background sender delivers; the tests follow the links in the mails over HTTP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.db import make_engine, make_sessionmaker, upgrade
from service.mail import Mail, Policy, SmtpConfig, queue, send_due
from service.mail.smtp import redact
from service.tables import OutboxMessage, User, utcnow
from service.users import create_user
from tests.service.apps import app_settings, application, copy_dataset
from tests.service.smtp_sink import SmtpSink, wait_for
from tests.service.staff import CSRF
from tests.service.test_proposal_story import strip_feature
from tests.service.test_registrations import every_text_value
from tests.service.test_signup import form_token

PASSWORD = "correct horse battery"
POLICE = "politie@alken.test"
COORD = "coord.heiligenborn@alken.test"
SENDER = "Buurtpreventie Alken <wabp@alken.test>"


@dataclass
class MailApp:
    """A served app whose mail goes to a real SMTP server on the loopback interface."""

    client: TestClient
    sink: SmtpSink
    engine: Engine
    headers: dict[str, dict[str, str]]
    data: Path

    def apply(self, expect: int = 201, **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/api/registrations", json=application(**overrides))
        assert response.status_code == expect, response.text
        body: dict[str, Any] = response.json()
        return body

    def outbox(self, **where: Any) -> list[OutboxMessage]:
        with make_sessionmaker(self.engine)() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.created_at)
            for column, value in where.items():
                query = query.where(getattr(OutboxMessage, column) == value)
            return list(session.scalars(query))


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[MailApp]:
    data = copy_dataset(tmp_path_factory.mktemp("mail") / "alken")
    url = f"sqlite:///{data / 'wabp.sqlite'}"
    settings = app_settings(
        data,
        url,
        registration_rate_limit=1000,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        mail_from=SENDER,
        base_url="http://testserver",
        mail_retry_seconds=0.2,
        mail_poll_seconds=0.2,
    )
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, POLICE, PASSWORD, "police", municipality="Alken")
        create_user(session, COORD, PASSWORD, "coordinator", zone_id="heiligenborn")
        session.commit()
    with TestClient(create_app(settings)) as client:
        headers = {}
        for email in (POLICE, COORD):
            r = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield MailApp(client, sink, engine, headers, data)
    engine.dispose()


def test_an_application_with_an_email_gets_one_confirmation_whose_link_works(
    mail_app: MailApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = mail_app.apply(email="bevestiging@example.be", name="Bea Bevestiging")
    [mail] = wait_for(lambda: mail_app.sink.handler.to("bevestiging@example.be"), what="the mail")
    assert mail.message["From"] == SENDER
    assert "aanmelding" in mail.message["Subject"].lower()
    # Plain text and an HTML alternative, both with the same private link.
    link = mail.link()
    assert link == f"http://testserver/aanmelding/{created['token']}"
    assert link in mail.html
    # Links, not personal data: neither the name nor the phone is in the mail.
    for personal in ("Bea Bevestiging", "470", "Heiligenbornstraat"):
        assert personal not in mail.text and personal not in mail.html
    # The link works: it is the applicant's private page.
    page = mail_app.client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "Uw aanmelding bij de buurtpreventie" in page.text
    # Sent: the outbox keeps neither the address nor the text with the link.
    [row] = wait_for(
        lambda: mail_app.outbox(registration_id=created["id"], status="sent"), what="sent"
    )
    assert (row.recipient, row.body_text, row.body_html, row.attempts) == (None, None, None, 1)
    # Exactly one: nothing else goes out for it later.
    mail_app.client.get("/healthz")
    assert len(mail_app.sink.handler.to("bevestiging@example.be")) == 1
    # The service's log lines (not the test's SMTP server or HTTP client) name neither.
    test_side = ("mail.log", "httpx")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name not in test_side)
    assert "outbox: sent" in logged
    assert "bevestiging@example.be" not in logged and created["token"] not in logged


def test_an_application_without_an_email_sends_the_applicant_nothing(mail_app: MailApp) -> None:
    created = mail_app.apply(email="", phone="0470 00 00 02")
    assert [m.kind for m in mail_app.outbox(registration_id=created["id"])] == []


def test_a_police_approval_sends_one_decision_mail(mail_app: MailApp) -> None:
    created = mail_app.apply(email="besluit@example.be", phone="0470 00 00 03")
    wait_for(lambda: mail_app.sink.handler.to("besluit@example.be"), what="the confirmation")
    r = mail_app.client.post(
        f"/api/registrations/{created['id']}/approve", headers=mail_app.headers[POLICE]
    )
    assert r.status_code == 200
    mails = wait_for(
        lambda: (
            [
                m
                for m in mail_app.sink.handler.to("besluit@example.be")
                if "beslist" in m.message["Subject"]
            ]
            or None
        ),
        what="the decision",
    )
    [decision] = mails
    assert "goedgekeurd" in decision.text
    assert len(mail_app.sink.handler.to("besluit@example.be")) == 2  # confirmation + decision
    # The coordinator of the group is told a member waits, with a link, without name or number.
    [waits] = wait_for(
        lambda: (
            [m for m in mail_app.sink.handler.to(COORD) if "nieuw lid" in m.message["Subject"]]
            or None
        ),
        what="the coordinator's mail",
    )
    assert "0470" not in waits.text and waits.link() == "http://testserver/beheer/groep"


def test_a_refusal_is_told_in_neutral_words_and_the_address_is_then_forgotten(
    mail_app: MailApp,
) -> None:
    created = mail_app.apply(email="geweigerd@example.be", phone="0470 00 00 04")
    r = mail_app.client.post(
        f"/api/registrations/{created['id']}/refuse", headers=mail_app.headers[POLICE]
    )
    assert r.status_code == 200 and r.json()["email"] is None
    [decision] = wait_for(
        lambda: (
            [
                m
                for m in mail_app.sink.handler.to("geweigerd@example.be")
                if "beslist" in m.message["Subject"]
            ]
            or None
        ),
        what="the decision",
    )
    assert "kan niet worden goedgekeurd" in decision.text
    assert "reden" not in decision.text.lower()


def test_smtp_down_at_application_time_then_up_delivers_once_after_a_retry(
    mail_app: MailApp,
) -> None:
    mail_app.sink.stop()
    try:
        created = mail_app.apply(email="later@example.be", phone="0470 00 00 05")
        # The request succeeded; the message waits with the reason and a next attempt.
        [row] = wait_for(
            lambda: (
                [
                    m
                    for m in mail_app.outbox(registration_id=created["id"])
                    if m.attempts >= 1 and m.kind == "applicant.confirmation"
                ]
                or None
            ),
            what="a failed attempt",
        )
        assert row.status == "queued" and row.recipient == "later@example.be"
        assert row.last_error is not None and "geen verbinding" in row.last_error
        assert row.next_attempt_at > row.created_at
    finally:
        mail_app.sink.start()
    [mail] = wait_for(lambda: mail_app.sink.handler.to("later@example.be"), what="the retry")
    assert mail.link() == f"http://testserver/aanmelding/{created['token']}"
    [row] = wait_for(
        lambda: mail_app.outbox(registration_id=created["id"], status="sent"), what="sent"
    )
    assert row.attempts >= 2 and row.last_error is None
    # Several more sender rounds: still exactly one.
    wait_for(lambda: mail_app.outbox(status="queued", kind="applicant.confirmation") == [])
    assert len(mail_app.sink.handler.to("later@example.be")) == 1


def test_a_550_reply_fails_the_message_with_the_reason_and_the_request_still_succeeds(
    mail_app: MailApp,
) -> None:
    created = mail_app.apply(email="weiger.mij@example.be", phone="0470 00 00 06")  # 201
    [row] = wait_for(
        lambda: mail_app.outbox(registration_id=created["id"], status="failed"), what="failed"
    )
    assert row.last_error is not None and row.last_error.startswith("550 5.1.1")
    assert "user unknown" in row.last_error
    # The reason keeps no address, and the message no personal data.
    assert "weiger.mij" not in row.last_error and "<adres>" in row.last_error
    assert (row.recipient, row.body_text, row.attempts) == (None, None, 1)
    assert mail_app.sink.handler.to("weiger.mij@example.be") == []
    # The application itself is there.
    assert mail_app.client.get(f"/api/aanmelding/{created['token']}").status_code == 200


def test_withdrawing_is_confirmed_and_erases_the_registrations_waiting_mail(
    mail_app: MailApp,
) -> None:
    mail_app.sink.stop()
    try:
        created = mail_app.apply(email="weg@example.be", phone="0470 00 00 07")
        assert mail_app.outbox(registration_id=created["id"]) != []
        r = mail_app.client.post(f"/api/aanmelding/{created['token']}/withdraw")
        assert r.json()["outcome"] == "erased"
        # The confirmation (with the private link) went with the registration, unsent.
        assert mail_app.outbox(registration_id=created["id"]) == []
    finally:
        mail_app.sink.start()
    [mail] = wait_for(lambda: mail_app.sink.handler.to("weg@example.be"), what="withdrawal")
    assert "ingetrokken" in mail.message["Subject"] and "gewist" in mail.text
    assert created["token"] not in mail.text


def test_the_police_get_at_most_one_mail_an_hour_with_a_count(mail_app: MailApp) -> None:
    before = len(mail_app.outbox(kind="police.pending"))
    for n in range(3):
        mail_app.apply(phone=f"0470 00 01 0{n}")
    police = mail_app.outbox(kind="police.pending")
    # The earlier tests' applications gave one mail (sent); the next one waits for the hour.
    waiting = [m for m in police if m.status == "queued"]
    assert len(police) - before <= 1 and len(waiting) == 1
    [queued] = waiting
    sent = [m for m in police if m.sent_at is not None]
    assert queued.next_attempt_at >= max(m.sent_at for m in sent if m.sent_at) + timedelta(
        minutes=59
    )
    assert queued.body_text is not None and "aanmeldingen" in queued.body_text
    assert "http://testserver/beheer/politie" in queued.body_text


# --- the sender on its own: two senders, one message each -----------------------------------


def test_two_senders_at_once_never_send_a_message_twice(database_url: str, sink: SmtpSink) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    run = uuid4().hex[:8]  # the sink is shared: each database's run has its own recipients
    addresses = [f"gelijktijdig{n}.{run}@example.be" for n in range(24)]
    with factory.begin() as session:
        for address in addresses:
            queue(session, "test", address, Mail("Test", ("Een test.",)))
    config = SmtpConfig("127.0.0.1", sink.port, SENDER, starttls=False)
    start = threading.Barrier(4)
    reports = []

    def sender() -> None:
        start.wait()
        reports.append(send_due(factory, config, Policy(), limit=5))
        while (report := send_due(factory, config, Policy(), limit=5)).total:
            reports.append(report)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == len(addresses)
    for address in addresses:
        assert len(sink.handler.to(address)) == 1, address
    with factory() as session:
        statuses = session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "test"))
        assert set(statuses) == {"sent"}
    engine.dispose()


def test_backoff_doubles_and_gives_up_after_the_last_attempt(tmp_path: Path) -> None:
    policy = Policy(retry_seconds=60, max_attempts=3)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert policy.delay(40) == timedelta(hours=6)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        queue(session, "test", "niemand@example.be", Mail("Test", ("Een test.",)))
    nobody = SmtpConfig("127.0.0.1", 9, SENDER, starttls=False, timeout=2)  # port 9: refused
    now = utcnow()
    for attempt in range(3):
        report = send_due(factory, nobody, policy, now=now)
        assert report.total == 1
        assert send_due(factory, nobody, policy, now=now).total == 0  # not due yet
        now += policy.delay(attempt + 1)
    with factory() as session:
        [row] = session.scalars(select(OutboxMessage))
        assert (row.status, row.attempts, row.recipient) == ("failed", 3, None)
        assert row.last_error is not None and row.last_error.startswith("opgegeven na 3 pogingen")
    engine.dispose()


def test_smtp_replies_lose_their_addresses() -> None:
    assert redact("550 5.1.1 <jan.peeters@example.be>: unknown") == "550 5.1.1 <<adres>>: unknown"
    assert redact("452 too many recipients") == "452 too many recipients"


def test_the_cli_lists_the_outbox_without_addresses_and_sends_it(
    tmp_path: Path, sink: SmtpSink
) -> None:
    data = copy_dataset(tmp_path / "alken")
    env = {"WABP_DATA_DIR": str(data), "WABP_BASE_URL": "https://wabp.example.be"}
    engine = make_engine(f"sqlite:///{data / 'wabp.sqlite'}")
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        queue(session, "test", "cron@example.be", Mail("Test", ("Een test.",)))
    engine.dispose()
    runner = CliRunner()
    listed = runner.invoke(cli, ["outbox"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "test" in listed.output and "queued" in listed.output
    assert "cron@example.be" not in listed.output and "Een test" not in listed.output
    assert "no SMTP server configured" in listed.output
    refused = runner.invoke(cli, ["outbox", "send"], env=env)
    assert refused.exit_code == 2 and "WABP_SMTP_HOST" in refused.output
    smtp = {
        "WABP_SMTP_HOST": "127.0.0.1",
        "WABP_SMTP_PORT": str(sink.port),
        "WABP_SMTP_STARTTLS": "false",
        "WABP_MAIL_FROM": SENDER,
    }
    sent = runner.invoke(cli, ["outbox", "send"], env={**env, **smtp})
    assert sent.exit_code == 0, sent.output
    assert "sent 1" in sent.output
    assert len(sink.handler.to("cron@example.be")) == 1
    again = runner.invoke(cli, ["outbox", "send"], env={**env, **smtp})
    assert "sent 0" in again.output
    assert len(sink.handler.to("cron@example.be")) == 1


def test_purge_drops_outbox_entries_past_their_retention(tmp_path: Path) -> None:
    from service.mail.outbox import purge

    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    now = utcnow()
    with factory.begin() as session:
        queue(
            session, "test", "oud@example.be", Mail("Oud", ("Oud.",)), now=now - timedelta(days=31)
        )
        queue(session, "test", "nieuw@example.be", Mail("Nieuw", ("Nieuw.",)), now=now)
    with factory.begin() as session:
        assert purge(session, 30, now=now, dry_run=True) == 1
        assert purge(session, 30, now=now) == 1
    with factory() as session:
        assert list(session.scalars(select(OutboxMessage.subject))) == ["Nieuw"]
    engine.dispose()


# --- staff: invitation and password reset, followed end to end --------------------------------


def _choose_password(client: TestClient, link: str, password: str, again: str | None = None) -> Any:
    path = link.removeprefix("http://testserver")
    form = client.get(path)
    assert form.status_code == 200, form.text
    assert form.headers["referrer-policy"] == "same-origin"  # the token goes to no other site
    assert form.headers["cache-control"] == "no-store"
    data = {"csrf_token": form_token(form.text), "password": password}
    data["password_again"] = password if again is None else again
    return client.post(path, data=data)


def _signs_in(client: TestClient, email: str, password: str) -> bool:
    r = client.post("/api/auth/token", data={"username": email, "password": password})
    return r.status_code == 200


def test_an_invitation_link_sets_the_password_once(mail_app: MailApp) -> None:
    env = {"WABP_DATA_DIR": str(mail_app.data), "WABP_BASE_URL": "http://testserver"}
    invited = CliRunner().invoke(
        cli,
        ["users", "invite", "Nieuw.Lid@Alken.test", "--role", "police", "--municipality", "Alken"],
        env=env,
    )
    assert invited.exit_code == 0, invited.output
    [mail] = wait_for(lambda: mail_app.sink.handler.to("nieuw.lid@alken.test"), what="invitation")
    assert "Uitnodiging" in mail.message["Subject"] and "politie" in mail.text
    link = mail.link()
    assert link.startswith("http://testserver/beheer/wachtwoord/")
    token = link.rsplit("/", 1)[1]
    # Only the link's hash is stored (the sent mail kept no text); nobody can sign in yet.
    wait_for(lambda: mail_app.outbox(kind="staff.invitation", status="sent"), what="sent")
    assert token not in every_text_value(mail_app.engine)
    assert not _signs_in(mail_app.client, "nieuw.lid@alken.test", "")
    # Mistakes keep the form (and never echo a password).
    client = mail_app.client
    differ = _choose_password(client, link, "een lange zin als wachtwoord", "iets anders")
    assert differ.status_code == 422 and "niet gelijk" in differ.text
    assert "een lange zin als wachtwoord" not in differ.text
    short = _choose_password(client, link, "kort")
    assert short.status_code == 422 and "minstens 12 tekens" in short.text
    done = _choose_password(client, link, "een lange zin als wachtwoord")
    assert done.status_code == 200 and "Uw wachtwoord is ingesteld" in done.text
    assert _signs_in(client, "nieuw.lid@alken.test", "een lange zin als wachtwoord")
    # Used once: the link is dead now, for the form and for a second post alike.
    again = client.get(link.removeprefix("http://testserver"))
    assert again.status_code == 404 and "werkt niet" in again.text
    replay = _choose_password_post_only(client, link, "nog een ander wachtwoord")
    assert replay.status_code == 404
    assert not _signs_in(client, "nieuw.lid@alken.test", "nog een ander wachtwoord")


def _choose_password_post_only(client: TestClient, link: str, password: str) -> Any:
    form = client.get("/beheer/wachtwoord-vergeten")  # any form: a valid CSRF cookie and token
    token = form_token(form.text)
    return client.post(
        link.removeprefix("http://testserver"),
        data={"csrf_token": token, "password": password, "password_again": password},
    )


def test_a_reset_link_replaces_the_password_and_tells_nobody_who_has_an_account(
    mail_app: MailApp,
) -> None:
    client = mail_app.client
    form = client.get("/beheer/wachtwoord-vergeten")
    assert form.status_code == 200
    asked = client.post(
        "/beheer/wachtwoord-vergeten",
        data={"csrf_token": form_token(form.text), "email": COORD.upper()},
    )
    again = client.get("/beheer/wachtwoord-vergeten")  # a CSRF token is good for one post
    unknown = client.post(
        "/beheer/wachtwoord-vergeten",
        data={"csrf_token": form_token(again.text), "email": "niemand@alken.test"},
    )
    # The same answer whether or not the address has an account.
    assert asked.status_code == unknown.status_code == 200
    assert asked.text == unknown.text and "Als er een account bestaat" in asked.text
    [mail] = wait_for(
        lambda: (
            [m for m in mail_app.sink.handler.to(COORD) if "wachtwoord" in m.message["Subject"]]
            or None
        ),
        what="the reset mail",
    )
    assert mail_app.sink.handler.to("niemand@alken.test") == []
    assert "één uur" in mail.text or "1 uur" in mail.text
    done = _choose_password(client, mail.link(), "mijn nieuwe geheime zin")
    assert done.status_code == 200
    assert _signs_in(client, COORD, "mijn nieuwe geheime zin")
    assert not _signs_in(client, COORD, PASSWORD)
    assert client.get(mail.link().removeprefix("http://testserver")).status_code == 404
    # A second request within minutes sends nothing more (no mail bombing).
    before = len(mail_app.sink.handler.to(COORD))
    client.post(
        "/beheer/wachtwoord-vergeten",
        data={"csrf_token": form_token(form.text), "email": COORD},
    )
    assert len(mail_app.outbox(kind="staff.reset", status="queued")) == 0
    assert len(mail_app.sink.handler.to(COORD)) == before


def test_account_links_expire_and_a_newer_one_replaces_the_older(tmp_path: Path) -> None:
    from service import account_links

    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    now = utcnow()
    with factory.begin() as session:
        user = create_user(session, "p@alken.test", PASSWORD, "police", municipality="Alken")
        first = account_links.issue(session, user, "reset", now)
        second = account_links.issue(session, user, "reset", now)
    with factory() as session:
        with pytest.raises(account_links.AccountLinkError):
            account_links.check(session, first, now)
        account_links.check(session, second, now)
        with pytest.raises(account_links.AccountLinkError):
            account_links.check(session, second, now + timedelta(hours=1, seconds=1))
        with pytest.raises(account_links.AccountLinkError):
            account_links.check(session, "x" * 101, now)
    engine.dispose()


# --- a staff member's choice of e-mails ----------------------------------------------------------


def _csrf(page: str) -> str:
    match = CSRF.search(page)  # the page's forms (and the sign-out form) share one token
    assert match is not None
    return match.group(1)


def _sign_in_page(client: TestClient, email: str, password: str) -> None:
    form = client.get("/beheer")
    signed = client.post(
        "/beheer/inloggen",
        data={"csrf_token": form_token(form.text), "email": email, "password": password},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


def test_an_officer_switches_the_pending_mail_off_and_gets_none(tmp_path: Path) -> None:
    data = copy_dataset(tmp_path / "alken")
    url = f"sqlite:///{data / 'wabp.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, POLICE, PASSWORD, "police", municipality="Alken")
        create_user(session, "politie2@alken.test", PASSWORD, "police", municipality="Alken")
        session.commit()
    settings = app_settings(data, url, base_url="http://testserver")
    with TestClient(create_app(settings)) as client:
        _sign_in_page(client, POLICE, PASSWORD)
        page = client.get("/beheer/meldingen")
        assert page.status_code == 200
        assert "Nieuwe aanmeldingen wachten op nazicht" in page.text
        assert 'value="police.pending" checked' in page.text
        # Coordinators' and the municipality's messages are not offered to the police.
        assert "coordinator.member_waits" not in page.text
        saved = client.post(
            "/beheer/meldingen", data={"csrf_token": _csrf(page.text)}, follow_redirects=True
        )
        assert saved.status_code == 200 and "Uw keuze is bewaard." in saved.text
        assert 'value="police.pending" checked' not in saved.text
        created = client.post("/api/registrations", json=application(phone="0470 00 02 01"))
        assert created.status_code == 201
    with make_sessionmaker(engine)() as session:
        police = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "police.pending"))
        )
        recipients = {m.recipient for m in police}
    # Only the colleague who kept it on is told.
    assert recipients == {"politie2@alken.test"}
    engine.dispose()


def test_the_municipality_invites_and_mails_a_reset_link_from_its_accounts_page(
    mail_app: MailApp,
) -> None:
    town = "gemeente.mail@alken.test"
    with make_sessionmaker(mail_app.engine)() as session:
        create_user(session, town, PASSWORD, "municipality", municipality="Alken")
        session.commit()
    client = mail_app.client
    client.cookies.clear()
    _sign_in_page(client, town, PASSWORD)
    page = client.get("/beheer/gemeente/accounts")
    assert "Uitnodigen per e-mail" in page.text
    invited = client.post(
        "/beheer/gemeente/accounts",
        data={
            "csrf_token": _csrf(page.text),
            "email": "uitgenodigd@alken.test",
            "role": "coordinator",
            "zone": "heiligenborn",
            "toegang": "uitnodiging",
        },
        follow_redirects=True,
    )
    assert invited.status_code == 200 and "De uitnodiging is verstuurd" in invited.text
    # No password on the page: the owner chooses one through the mailed link.
    assert "Eenmalig wachtwoord" not in invited.text
    [mail] = wait_for(lambda: mail_app.sink.handler.to("uitgenodigd@alken.test"), what="invite")
    client.cookies.clear()
    done = _choose_password(client, mail.link(), "de eigenaar kiest zelf")
    assert done.status_code == 200
    assert _signs_in(client, "uitgenodigd@alken.test", "de eigenaar kiest zelf")
    # The municipality mails the coordinator a reset link from the same page.
    _sign_in_page(client, town, PASSWORD)
    page = client.get("/beheer/gemeente/accounts")
    with make_sessionmaker(mail_app.engine)() as session:
        account = session.scalar(select(User.id).where(User.email == "uitgenodigd@alken.test"))
    sent = client.post(
        f"/beheer/gemeente/accounts/{account}/resetlink",
        data={"csrf_token": _csrf(page.text)},
        follow_redirects=True,
    )
    assert "De link om een nieuw wachtwoord te kiezen is verstuurd." in sent.text
    resets = wait_for(
        lambda: [
            m
            for m in mail_app.sink.handler.to("uitgenodigd@alken.test")
            if "nieuw wachtwoord" in m.message["Subject"]
        ],
        what="the reset link",
    )
    assert len(resets) == 1
    client.cookies.clear()
    assert _choose_password(client, resets[0].link(), "weer een andere zin").status_code == 200
    assert _signs_in(client, "uitgenodigd@alken.test", "weer een andere zin")


def test_a_proposal_tells_the_municipality_with_a_link_to_its_review_page(
    mail_app: MailApp,
) -> None:
    reviewer = "gemeente.voorstel@alken.test"
    proposer = "coord.sintjoris@alken.test"
    with make_sessionmaker(mail_app.engine)() as session:
        create_user(session, reviewer, PASSWORD, "municipality", municipality="Alken")
        create_user(session, proposer, PASSWORD, "coordinator", zone_id="sint-joris")
        session.commit()
    client = mail_app.client
    r = client.post("/api/auth/token", data={"username": proposer, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
    created = client.post("/api/proposals", json=strip_feature(dataset, 0.002), headers=bearer)
    assert created.status_code == 201, created.text
    [mail] = wait_for(lambda: mail_app.sink.handler.to(reviewer), what="the proposal mail")
    assert "voorstel" in mail.message["Subject"]
    path = f"/beheer/gemeente/voorstellen/{created.json()['id']}"
    assert mail.link() == f"http://testserver{path}"
    # The link leads the reviewer (once signed in) to the proposal's review page.
    client.cookies.clear()
    _sign_in_page(client, reviewer, PASSWORD)
    assert client.get(path).status_code == 200
    # The proposer is not told of their own proposal.
    assert mail_app.sink.handler.to(proposer) == []
