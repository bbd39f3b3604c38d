"""The public map in a real browser (Debian Chromium): Leaflet loads, zones and signs are drawn.

The page is written next to a copy of maps/static and opened from disk, so the test needs no server
and no network; any request that leaves the page's directory fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from maps import STATIC_DIR, render_public_map
from zones.dataset import Dataset

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install -y chromium)"
    ),
]


def test_map_renders_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    dataset = Dataset.load(REPO / "data")
    active = dataset.zones.active()
    boards = [b for b in dataset.infoborden if b.properties.zone_id in {z.id for z in active}]
    shutil.copytree(STATIC_DIR, tmp_path / "static")
    page_file = tmp_path / "map.html"
    page_file.write_text(render_public_map(dataset, asset_base="static"), encoding="utf-8")

    errors: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
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
            browser.close()

    assert errors == []
    assert outside == []
    assert labels == len(active)
    assert signs == len(boards)
    assert shapes >= len(active)
    # Crowded names are moved or hidden, but most zones are named at the first view.
    assert visible >= len(active) // 2
