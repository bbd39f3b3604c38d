"""The registration form in a real browser (Debian Chromium) against a real uvicorn server.

What a resident on a phone does: JavaScript off, 360 px wide, fill in the form, send it, read the
confirmation; a mistake comes back with the error summary focused. axe finds no accessibility
violation on the form, its error state, the confirmation, the status and the withdrawal pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from maps.pdf import CHROMIUM
from service.app import create_app
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)",
    ),
]

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve a temporary copy of the shipped data with uvicorn on a free port; return its URL."""
    root = tmp_path_factory.mktemp("data")
    copy_dataset(root)
    settings = app_settings(root, f"sqlite:///{root / 'test.sqlite'}")
    with served(create_app(settings)) as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized browser with JavaScript switched off."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        yield context
    finally:
        context.close()


def fill_in(page: Page, address: str = "Heiligenbornstraat 12, 3570 Alken") -> None:
    """Fill in the form as a resident does: click labels, type into fields."""
    page.get_by_label("deelnemer aan de groep van mijn buurt").check()
    page.get_by_label("Voornaam en naam").fill("Browser Testpersoon")
    page.get_by_label("Adres", exact=True).fill(address)
    page.get_by_label("ik woon op dit adres").check()
    page.get_by_label("Gsm-nummer").fill("0470 12 34 56")
    page.get_by_label("Ik ben meerderjarig (18 jaar of ouder).").check()
    page.get_by_label("Ik aanvaard het huishoudelijk reglement", exact=False).check()
    page.get_by_label("Ik onderschrijf de intentieverklaring", exact=False).check()
    page.get_by_label("Ik ga akkoord dat mijn gegevens naar de politie gaan", exact=False).check()


def send(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Aanmelding versturen").click()


def test_apply_on_a_phone_without_javascript(phone: BrowserContext, server: str) -> None:
    page = phone.new_page()
    page.goto(f"{server}/aanmelden")
    fill_in(page)
    send(page)

    assert page.url.startswith(f"{server}/aanmelding/") and page.url.endswith("/bevestiging")
    assert page.get_by_role("heading", level=1).inner_text() == "Uw aanmelding is ontvangen"
    assert "Uw adres hoort bij de groep WABP Heiligenborn." in page.inner_text("main")
    link = page.locator(".private-link__url a")
    private = link.get_attribute("href")
    assert private is not None and private.startswith(f"{server}/aanmelding/")

    # The private link opens the status page, from which the application can be withdrawn.
    page.goto(private)
    assert "De politie kijkt ze na" in page.inner_text("main")
    page.get_by_role("link", name="Intrekken").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, trek mijn aanmelding in").click()
    assert "Uw aanmelding is ingetrokken" in page.inner_text("main")


def test_a_mistake_comes_back_with_the_summary_first(phone: BrowserContext, server: str) -> None:
    page = phone.new_page()
    page.goto(f"{server}/aanmelden")
    fill_in(page)
    page.get_by_label("Ik ben meerderjarig (18 jaar of ouder).").uncheck()
    page.get_by_label("Gsm-nummer").fill("011 21 21 21")
    send(page)

    summary = page.locator(".error-summary")
    assert page.title().startswith("Fout:")
    assert summary.is_visible()
    # Focused on load (autofocus, no script), so a screen reader reads it first.
    assert summary.evaluate("element => element === document.activeElement")
    assert summary.get_by_role("link").all_inner_texts() == [
        "WhatsApp werkt alleen met een gsm-nummer; geef uw gsm-nummer op.",
        "U moet meerderjarig zijn om deel te nemen.",
    ]
    assert page.get_by_label("Voornaam en naam").input_value() == "Browser Testpersoon"
    assert page.get_by_label("Gsm-nummer").input_value() == "011 21 21 21"
    # The summary's link moves to the field (no script needed: a fragment link).
    summary.get_by_role("link", name="U moet meerderjarig zijn om deel te nemen.").click()
    assert page.url.endswith("#adult")


def pages_of_one_application(browser: Browser, server: str) -> Iterator[tuple[str, Page]]:
    """Walk the form, its error state, the confirmation, status and withdrawal pages."""
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{server}/aanmelden")
        yield "form", page
        fill_in(page, "Stations 4")  # ambiguous: the candidates come back as radio buttons
        send(page)
        assert page.locator("input[name=address_choice]").count() == 2
        yield "errors", page
        # Everything else was kept: only the address changes.
        page.get_by_label("Adres", exact=True).fill("Heiligenbornstraat 12, 3570 Alken")
        send(page)
        yield "confirmation", page
        page.goto(page.url.removesuffix("/bevestiging"))
        yield "status", page
        page.goto(page.url + "/intrekken")
        yield "withdraw", page
    finally:
        context.close()


def test_no_accessibility_violations_and_no_sideways_scrolling(
    browser: Browser, server: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    seen = []
    for name, page in pages_of_one_application(browser, server):
        results = axe.run(page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        seen.append(name)
    assert seen == ["form", "errors", "confirmation", "status", "withdraw"]


def test_zoom_is_not_locked(phone: BrowserContext, server: str) -> None:
    page = phone.new_page()
    page.goto(f"{server}/aanmelden")
    viewport = page.locator("meta[name=viewport]").get_attribute("content") or ""
    assert "user-scalable" not in viewport and "maximum-scale" not in viewport
