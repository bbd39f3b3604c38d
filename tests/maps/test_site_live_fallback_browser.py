"""A published site that cannot be sure offline asks the live service it was published with.

A register too large to ship whole (``maps.searchindex.DETAIL_MAX_ADDRESSES``) gives the site street
runs only: its own answer is flagged unsure. Published with ``lookup_url`` (``wabp publish
--base-url``/``--lookup-url``), the page then asks the service's ``/api/lookup`` and shows that
answer. Here a real app is served by uvicorn on 127.0.0.1 and the site is opened from disk in
Chromium at 360 px; when the service cannot be reached, the offline answer stays with its warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from maps import searchindex
from maps.site import PublishOptions, publish_site
from service.app import create_app
from tests.maps.conftest import needs_chromium
from tests.maps.test_compare import axe_violations
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import free_port, served
from zones.dataset import Dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, needs_chromium]

ADDRESS = "Heiligenbornstraat 12, 3570 Alken"
UNSURE = ".result__unsure"


def _publish_without_every_address(
    dataset: Dataset, out: Path, lookup_url: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    # As if Alken were too large to ship every address: the index keeps street runs only.
    monkeypatch.setattr(searchindex, "DETAIL_MAX_ADDRESSES", 0)
    report = publish_site(dataset, out, PublishOptions(lookup_url=lookup_url))
    assert not report.search_detail
    return report.out_dir / "index.html"


def _search(page: Page, index: Path, query: str) -> None:
    page.goto(index.as_uri())
    page.fill("#wabp-q", query)
    page.click("#wabp-search button[type=submit]")


def test_unsure_site_asks_the_live_service_and_shows_its_answer(
    browser: Browser, alken_data: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app_settings(copy_dataset(tmp_path / "data"), f"sqlite:///{tmp_path / 'db.sqlite'}")
    with served(create_app(settings)) as url:
        api = httpx.get(f"{url}/api/lookup", params={"q": ADDRESS}).json()
        index = _publish_without_every_address(
            alken_data, tmp_path / "site", f"{url}/api/lookup", monkeypatch
        )
        context = browser.new_context(viewport={"width": 360, "height": 740})
        asked: list[str] = []
        try:
            page = context.new_page()
            page.on("request", lambda r: asked.append(r.url) if r.url.startswith(url) else None)
            with page.expect_response(lambda r: r.url.startswith(f"{url}/api/lookup")) as live:
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
    browser: Browser, alken_data: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on this port: the request fails as it does offline.
    down = f"http://127.0.0.1:{free_port()}/api/lookup"
    index = _publish_without_every_address(alken_data, tmp_path / "site", down, monkeypatch)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        with page.expect_event("requestfailed", lambda r: r.url.startswith(down)):
            _search(page, index, ADDRESS)
        page.locator(f"#wabp-result[data-status=found] {UNSURE}").wait_for()
        text = page.locator("#wabp-result").inner_text()
    finally:
        context.close()
    assert "Controleer uw groep bij de gemeente" in text
    assert "WABP Heiligenborn" in text
