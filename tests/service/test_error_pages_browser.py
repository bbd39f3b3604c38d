"""The Dutch error pages a resident can meet, made by real failures of a served app, in Chromium.

429: the registration form posted more often than ``WABP_REGISTRATION_RATE_LIMIT`` allows from one
address (the only 429 a browser can meet outside ``/beheer``: the API answers its own in JSON). 500: a page whose rendering raises (the group list's renderer is made to fail, as a bug
would). Each answer has the right status, is in Dutch with the site's way back, and is axe-clean
at 360 px. (404 is in ``test_live_site_browser.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from maps import livesite
from maps.pdf import CHROMIUM
from service.app import create_app
from tests.maps.test_compare import axe_violations
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve a copy of Alken that takes one registration per address per hour."""
    root = copy_dataset(tmp_path_factory.mktemp("data"))
    settings = app_settings(
        root,
        f"sqlite:///{root / 'test.sqlite'}",
        tiles="none",
        registration_rate_limit=1,
        registration_rate_window=3600,
    )
    with served(create_app(settings)) as url:
        yield url


def _phone(browser: Browser) -> Page:
    return browser.new_context(viewport={"width": 360, "height": 740}).new_page()


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_too_many_registrations_is_a_dutch_429_page(browser: Browser, server: str) -> None:
    page = _phone(browser)
    try:
        page.goto(server + "/aanmelden")
        # The first post is counted (and answered with what is missing), the second one refused.
        with page.expect_response(lambda r: r.url.endswith("/aanmelden")) as first:
            page.get_by_role("button", name="Aanmelding versturen").click()
        assert first.value.status != 429
        page.wait_for_load_state("load")
        with page.expect_response(lambda r: r.url.endswith("/aanmelden")) as second:
            page.get_by_role("button", name="Aanmelding versturen").click()
        page.wait_for_load_state("load")
        assert second.value.status == 429
        assert second.value.headers.get("retry-after")
        assert page.locator("html").get_attribute("lang") == "nl"
        assert page.locator("h1").inner_text() == "Aanmelden lukt nu niet"
        assert "Te veel aanvragen vanaf dit adres" in page.locator("main").inner_text()
        assert page.get_by_role("link", name="Naar het aanmeldformulier").count() == 1
        # The registration pages' way back to the site (they carry no menu: no scripts, one form).
        home = page.get_by_role("link", name="Zones buurtpreventie Alken")
        assert home.get_attribute("href") == "/"
        assert _fits(page)
        assert axe_violations(page) == []
    finally:
        page.context.close()


def test_a_failing_page_is_a_dutch_500_page(
    browser: Browser, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("a bug in the group list")

    # The served app runs in this process: its next rendering of /groepen meets the bug.
    monkeypatch.setattr(livesite, "render_groups_page", broken)
    page = _phone(browser)
    try:
        response = page.goto(server + "/groepen")
        assert response is not None and response.status == 500
        assert page.locator("html").get_attribute("lang") == "nl"
        assert page.locator("h1").inner_text() == "Er ging iets mis"
        text = page.locator("main").inner_text()
        assert "Probeer het later opnieuw" in text
        assert "a bug" not in page.content()  # the error itself stays in the log
        # The menu leads back to the site.
        page.get_by_role("navigation").get_by_role("link", name="Kaart").click()
        page.wait_for_load_state("load")
        assert page.locator("#wabp-q").count() == 1
        page.go_back()
        assert _fits(page)
        assert axe_violations(page) == []
    finally:
        page.context.close()
