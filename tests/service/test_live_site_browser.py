"""The live site in a real browser (Debian Chromium) against a served app.

What a resident does: search on ``/`` and get the answer with what to do next (the registration
form with the address filled in, the near-boundary warning), search with JavaScript off and land
on a server-rendered answer, follow the menu to ``/groepen``; a wrong address is a Dutch page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from maps.pdf import CHROMIUM
from service.app import create_app
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import served
from zones.dataset import Dataset

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
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of the shipped Alken data."""
    return copy_dataset(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def server(data_root: Path) -> Iterator[str]:
    """Serve the copy with uvicorn (no base map: the tests have no network)."""
    settings = app_settings(data_root, f"sqlite:///{data_root / 'test.sqlite'}", tiles="none")
    with served(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def near_boundary(data_root: Path) -> str:
    """Return a register address near a zone boundary, as a resident types it."""
    dataset = Dataset.load(data_root)
    register = dataset.register
    a = next(a for a in sorted(dataset.table.near) if register.positioned[a])
    street = register.streets[int(register.street_of[a])]
    return f"{street.name} {register.housenumbers[a]}, {street.postcode} {street.municipality}"


def _open(browser: Browser, url: str, *, scripts: bool = True) -> Page:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=scripts
    )
    page = context.new_page()
    page.goto(url)
    return page


def test_live_answer_links_to_the_form_and_warns_near_a_boundary(
    browser: Browser, server: str, near_boundary: str
) -> None:
    page = _open(browser, server + "/")
    try:
        page.fill("#wabp-q", near_boundary)
        page.click("#wabp-search button[type=submit]")
        page.wait_for_function("document.getElementById('wabp-result').dataset.status === 'found'")
        result = page.locator("#wabp-result")
        assert "vlak bij de grens" in result.inner_text()
        join = result.locator(".step--join_group a").first
        href = join.get_attribute("href") or ""
        assert urlsplit(href).path == "/aanmelden"
        assert parse_qs(urlsplit(href).query)["adres"] == [near_boundary]
        assert "101" in result.locator(".step--call_police").inner_text()
        join.click()
        page.wait_for_load_state("load")
        assert page.get_by_label("Adres", exact=True).input_value() == near_boundary
    finally:
        page.context.close()


def test_search_works_without_javascript(browser: Browser, server: str) -> None:
    page = _open(browser, server + "/", scripts=False)
    try:
        page.fill("#wabp-q", "Heiligenbornstraat 12 Alken")
        page.click("#wabp-search button[type=submit]")
        page.wait_for_load_state("load")
        assert urlsplit(page.url).path == "/zoek"
        result = page.locator("#wabp-result")
        assert result.get_attribute("data-status") == "found"
        assert "WABP Heiligenborn" in result.inner_text()
        assert result.locator(".step--join_group a").count() == 1
        # A street only: which numbers go where, never a made-up "Stationsstraat 1".
        page.fill("#wabp-q", "Stationsstraat")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        parts = page.locator(".result__parts li").all_inner_texts()
        assert any("WABP Terkoest: nrs." in p for p in parts)
        assert page.locator(".result__candidates").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    finally:
        page.context.close()


def test_groups_is_a_page_of_the_site(browser: Browser, server: str) -> None:
    page = _open(browser, server + "/")
    try:
        page.get_by_role("navigation").get_by_role("link", name="Groepen en straten").click()
        page.wait_for_load_state("load")
        assert urlsplit(page.url).path == "/groepen"
        assert page.locator("h1").inner_text().startswith("Groepen en straten")
        assert page.locator("table.groups tbody th[scope=row]").count() > 0
        menu = page.get_by_role("navigation").get_by_role("link").all_inner_texts()
        assert menu == ["Kaart", "Groepen en straten", "Afspraken", "Dekking"]
    finally:
        page.context.close()


def test_unknown_page_is_a_dutch_page(browser: Browser, server: str) -> None:
    page = _open(browser, server + "/bestaat-niet")
    try:
        assert page.locator("h1").inner_text() == "Pagina niet gevonden"
        assert page.get_by_role("navigation").count() == 1
    finally:
        page.context.close()
