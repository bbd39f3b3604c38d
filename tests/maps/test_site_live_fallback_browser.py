"""A site published with ``wabp publish --base-url`` leans on the live service where it must.

The site is published as a municipality does it, with the ``wabp publish`` command and the live
service's address (``--base-url``), then opened from disk in Chromium at 360 px while a real app is
served by uvicorn on 127.0.0.1:

- a register too large to ship whole (``maps.searchindex.DETAIL_MAX_ADDRESSES``, lowered here so
  that Alken counts as such) gives the site street runs only: its own answer is flagged unsure, and
  the page asks the service's ``/api/lookup`` and shows that answer; when the service cannot be
  reached, the offline answer stays with its warning;
- without JavaScript the search form goes to the service's result page (``<base-url>/zoek``);
- the site's own answer links to the service's registration form with the address filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from maps import searchindex
from service.app import create_app
from service.cli import app as cli
from tests.maps.conftest import needs_chromium
from tests.maps.test_compare import axe_violations
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import free_port, served

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, needs_chromium]

ADDRESS = "Heiligenbornstraat 12, 3570 Alken"
UNSURE = ".result__unsure"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a copy of Alken's dataset; the command reads no WABP_ settings of this machine."""
    for name in ("WABP_BASE_URL", "WABP_REGISTER_URL", "WABP_TILES", "WABP_TILES_ATTRIBUTION"):
        monkeypatch.delenv(name, raising=False)
    return copy_dataset(tmp_path / "data")


@pytest.fixture
def service(data: Path, tmp_path: Path) -> Iterator[str]:
    """Serve the dataset the site is published from; yield the service's address."""
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with served(create_app(app_settings(data, database))) as url:
        yield url


def _publish(data: Path, out: Path, base_url: str) -> Path:
    """Run ``wabp publish OUT --data DATA --base-url URL`` and return the site's index.html."""
    result = CliRunner().invoke(
        cli, ["publish", str(out), "--data", str(data), "--base-url", base_url]
    )
    assert result.exit_code == 0, result.stderr
    return out / "index.html"


def _too_large_to_ship(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if Alken were too large to ship every address: the index keeps street runs only.
    monkeypatch.setattr(searchindex, "DETAIL_MAX_ADDRESSES", 0)


def _search(page: Page, index: Path, query: str) -> None:
    page.goto(index.as_uri())
    page.fill("#wabp-q", query)
    page.click("#wabp-search button[type=submit]")


def test_unsure_site_asks_the_live_service_and_shows_its_answer(
    browser: Browser, data: Path, service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = httpx.get(f"{service}/api/lookup", params={"q": ADDRESS}).json()
    _too_large_to_ship(monkeypatch)
    index = _publish(data, tmp_path / "site", service)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    asked: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: asked.append(r.url) if r.url.startswith(service) else None)
        with page.expect_response(lambda r: r.url.startswith(f"{service}/api/lookup")) as live:
            _search(page, index, ADDRESS)
        assert live.value.ok
        # The live answer replaces the offline one: certain, so without the warning.
        page.locator(f"#wabp-result[data-status=found]:not(:has({UNSURE}))").wait_for()
        text = page.locator("#wabp-result").inner_text()
        violations = axe_violations(page)
    finally:
        context.close()
    assert api["status"] == "found"
    (zone,) = api["zones"]
    assert zone["name"] in text
    assert any("Heiligenbornstraat" in u for u in asked)
    assert "Vraag het ook aan de zoekdienst" in text
    assert violations == []


def test_unsure_site_keeps_its_answer_and_warning_when_the_service_is_down(
    browser: Browser, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on this port: the request fails as it does offline.
    down = f"http://127.0.0.1:{free_port()}"
    _too_large_to_ship(monkeypatch)
    index = _publish(data, tmp_path / "site", down)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        with page.expect_event("requestfailed", lambda r: r.url.startswith(f"{down}/api/lookup")):
            _search(page, index, ADDRESS)
        page.locator(f"#wabp-result[data-status=found] {UNSURE}").wait_for()
        text = page.locator("#wabp-result").inner_text()
    finally:
        context.close()
    assert "Controleer uw groep bij de gemeente" in text
    assert "WABP Heiligenborn" in text


def test_without_javascript_the_search_goes_to_the_live_result_page(
    browser: Browser, data: Path, service: str, tmp_path: Path
) -> None:
    index = _publish(data, tmp_path / "site", service)
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    try:
        page = context.new_page()
        _search(page, index, "Heiligenbornstraat 12 Alken")
        page.wait_for_load_state("load")
        url = urlsplit(page.url)
        result = page.locator("#wabp-result")
        status = result.get_attribute("data-status")
        text = result.inner_text()
        join = result.locator(".step--join_group a").get_attribute("href") or ""
    finally:
        context.close()
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{service}/zoek"
    assert status == "found"
    assert "WABP Heiligenborn" in text
    assert urlsplit(join).path == "/aanmelden"


def test_the_published_answer_opens_the_live_form_with_the_address(
    browser: Browser, data: Path, service: str, tmp_path: Path
) -> None:
    index = _publish(data, tmp_path / "site", service)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        _search(page, index, "heiligenbornstraat 12 alken")
        result = page.locator("#wabp-result[data-status=found]")
        result.wait_for()
        steps = result.locator(".step--join_group, .step--call_police").all_inner_texts()
        with page.expect_navigation():
            result.locator(".step--join_group a").first.click()
        url = urlsplit(page.url)
        filled = page.get_by_label("Adres", exact=True).input_value()
    finally:
        context.close()
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{service}/aanmelden"
    # The register's way of writing the address, not what was typed.
    assert filled == ADDRESS
    assert any("101" in step and "112" in step for step in steps)
