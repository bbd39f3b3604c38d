"""The public map in a real browser (Debian Chromium): Leaflet loads, zones and signs are drawn.

The page is written next to a copy of maps/static and opened from disk, so the test needs no server
and no network; any request that leaves the page's directory fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from maps import STATIC_DIR, render_public_map
from tests.maps.conftest import needs_chromium
from zones.dataset import Dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, needs_chromium]


def test_map_renders_in_chromium(tmp_path: Path, browser: Browser) -> None:
    dataset = Dataset.load(REPO / "data")
    active = dataset.zones.active()
    boards = [b for b in dataset.infoborden if b.properties.zone_id in {z.id for z in active}]
    shutil.copytree(STATIC_DIR, tmp_path / "static")
    page_file = tmp_path / "map.html"
    page_file.write_text(render_public_map(dataset, asset_base="static"), encoding="utf-8")

    errors: list[str] = []
    outside: list[str] = []
    # The session's browser: a second Playwright cannot start inside its event loop.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "request",
            lambda r: None if r.url.startswith(tmp_path.as_uri()) else outside.append(r.url),
        )
        page.goto(page_file.as_uri())
        page.wait_for_function("window.L !== undefined")
        labels = page.locator(".wabp-zone-label").count()
        signs = page.locator(".wabp-infobord").count()
        shapes = page.locator("path.leaflet-interactive").count()
        visible = page.locator(".wabp-zone-label span:visible").count()
    finally:
        context.close()

    assert errors == []
    assert outside == []
    assert labels == len(active)
    assert signs == len(boards)
    assert shapes >= len(active)
    # Crowded names are moved or hidden, but most zones are named at the first view.
    assert visible >= len(active) // 2
