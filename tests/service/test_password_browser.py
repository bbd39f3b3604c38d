"""The invitation link in a real browser (Debian Chromium, phone size), axe-clean.

A staff member gets the invitation from a real SMTP server, opens its link, makes a mistake, then
chooses a password, signs in with it and picks the e-mails they want; the reset page asks for an
address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from maps.pdf import CHROMIUM
from service.account_links import invite
from service.app import create_app
from service.db import make_engine, make_sessionmaker
from service.mail.outbox import BASE_URL
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import served
from tests.service.smtp_sink import SmtpSink, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)",
    ),
]

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[tuple[str, str]]:
    """Serve a copy of the data with mail to the sink; return its URL and database URL."""
    root = copy_dataset(tmp_path_factory.mktemp("data"))
    url = f"sqlite:///{root / 'test.sqlite'}"
    settings = app_settings(
        root,
        url,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        mail_from="Buurtpreventie <wabp@alken.test>",
        mail_poll_seconds=0.2,
    )
    with served(create_app(settings)) as base:
        yield base, url


def _check_page(page: Page, name: str, shots: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.screenshot(path=str(shots / f"wachtwoord-{name}.png"), full_page=True)  # to look at


def test_follow_the_invitation_in_a_browser(
    browser: Browser, server: tuple[str, str], sink: SmtpSink, tmp_path: Path
) -> None:
    base, database = server
    engine = make_engine(database)
    with make_sessionmaker(engine, info={BASE_URL: base})() as session:
        invite(session, "browser@alken.test", "coordinator", zone_id="heiligenborn")
        session.commit()
    engine.dispose()
    [mail] = wait_for(lambda: sink.handler.to("browser@alken.test"), what="the invitation")
    # JavaScript on only for axe: the pages' CSP allows no script of their own anyway.
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(mail.link())
        assert page.get_by_role("heading", level=1).inner_text() == "Kies uw wachtwoord"
        _check_page(page, "form", tmp_path)
        page.get_by_label("Wachtwoord", exact=True).fill("kort")
        page.get_by_label("Wachtwoord nog eens").fill("kort")
        with page.expect_navigation():
            page.get_by_role("button", name="Wachtwoord instellen").click()
        assert "minstens 12 tekens" in page.inner_text("main")
        _check_page(page, "error", tmp_path)
        page.get_by_label("Wachtwoord", exact=True).fill("drie woorden zijn sterk")
        page.get_by_label("Wachtwoord nog eens").fill("drie woorden zijn sterk")
        with page.expect_navigation():
            page.get_by_role("button", name="Wachtwoord instellen").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Uw wachtwoord is ingesteld"
        _check_page(page, "done", tmp_path)
        signed_in = page.request.post(
            f"{base}/api/auth/token",
            form={"username": "browser@alken.test", "password": "drie woorden zijn sterk"},
        )
        assert signed_in.status == 200
        page.goto(mail.link())
        assert page.get_by_role("heading", level=1).inner_text() == "Deze link werkt niet (meer)"
        # Signed in, the new coordinator picks the e-mails they want.
        page.goto(f"{base}/beheer")
        page.get_by_label("E-mailadres").fill("browser@alken.test")
        page.get_by_label("Wachtwoord").fill("drie woorden zijn sterk")
        with page.expect_navigation():
            page.get_by_role("button", name="Inloggen").click()
        page.get_by_role("link", name="E-mails").click()
        page.get_by_label("Een lid verlaat de groep").uncheck()
        _check_page(page, "preferences", tmp_path)
        with page.expect_navigation():
            page.get_by_role("button", name="Keuze bewaren").click()
        assert "Uw keuze is bewaard." in page.inner_text("main")
        assert not page.get_by_label("Een lid verlaat de groep").is_checked()
        assert page.get_by_label("Een goedgekeurd lid wacht", exact=False).is_checked()
        page.get_by_role("button", name="Afmelden").click()
        page.goto(f"{base}/beheer/wachtwoord-vergeten")
        _check_page(page, "forgot", tmp_path)
    finally:
        context.close()
