"""The published site in a real browser (Debian Chromium): from disk and from a web server.

What a resident does: the map loads with every zone, a click on a zone opens its popup, the search
finds "Heiligenbornstraat 12" without any server, the group list reads; axe finds no accessibility
violation on any page; at 360 px nothing needs sideways scrolling.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from maps.site import PublishReport
from tests.conftest import DATA
from tests.maps.conftest import needs_chromium
from zones.dataset import Dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, needs_chromium]

# Every page of Alken's published site: the four text pages and one per active zone.
PAGES = [
    "index.html",
    "groepen.html",
    "regels.html",
    "dekking.html",
    *(
        f"zones/{f['properties']['id']}.html"
        for f in json.loads((DATA / "zones.geojson").read_text(encoding="utf-8"))["features"]
        if f["properties"].get("status", "active") == "active"
    ),
]


class Visit:
    """A page opened in the browser, with what went wrong while it loaded."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if not request.url.startswith(self.base) and not request.url.startswith("data:"):
            self.outside.append(request.url)

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        return self.page


@pytest.fixture(params=["file", "http"])
def visit(request: pytest.FixtureRequest, browser: Browser, site: PublishReport) -> Iterator[Visit]:
    """Open pages of the published site from disk or from the local web server."""
    base = (
        site.out_dir.as_uri() + "/"
        if request.param == "file"
        else request.getfixturevalue("site_url")
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield Visit(context.new_page(), base)
    finally:
        context.close()


def wait_for_map(page: Page) -> None:
    page.wait_for_function("window.WABP !== undefined && window.WABP.map !== undefined")


def test_map_loads_without_errors_and_shows_every_zone(visit: Visit, alken_data: Dataset) -> None:
    page = visit.open("index.html")
    wait_for_map(page)
    shown = page.evaluate("Object.keys(WABP.zones).sort()")
    drawn = page.locator("path.leaflet-interactive").count()
    assert shown == sorted(z.id for z in alken_data.zones.active())
    assert drawn >= len(shown)
    assert visit.errors == []
    assert visit.outside == []


def test_click_on_a_zone_opens_its_popup(visit: Visit) -> None:
    page = visit.open("index.html")
    wait_for_map(page)
    # Heiligenborn's label point lies well inside it (pole of inaccessibility).
    x, y = page.evaluate(
        "(() => { const p = WABP.map.latLngToContainerPoint(WABP.zones.heiligenborn.zone.label);"
        " const box = WABP.map.getContainer().getBoundingClientRect();"
        " return [box.left + p.x + 4, box.top + p.y + 14]; })()"
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "WABP Heiligenborn" in popup.inner_text()
    assert popup.locator("a", has_text="Meer over WABP Heiligenborn").count() == 1
    assert visit.errors == []


def test_search_finds_the_group_without_a_server(visit: Visit, alken_data: Dataset) -> None:
    page = visit.open("index.html")
    wait_for_map(page)
    zoom_before = page.evaluate("WABP.map.getZoom()")
    page.fill("#wabp-q", "Heiligenbornstraat 12")
    page.click("#wabp-search button[type=submit]")
    page.wait_for_function("document.getElementById('wabp-result').dataset.status === 'found'")
    result = page.inner_text("#wabp-result")
    centre = page.evaluate(
        "[WABP.map.getCenter().lat, WABP.map.getCenter().lng, WABP.map.getZoom()]"
    )

    (street,) = [s for s in alken_data.register.streets if s.name == "Heiligenbornstraat"]
    (a,) = alken_data.register.find(street.id, "12")
    assert "WABP Heiligenborn" in result
    assert centre[2] >= 16 > zoom_before
    assert centre[0] == pytest.approx(alken_data.register.lat[a], abs=2e-4)
    assert centre[1] == pytest.approx(alken_data.register.lon[a], abs=2e-4)
    assert page.locator(".wabp-here").count() == 1
    # The service is offered as a second opinion, as a link only.
    assert (
        page.locator("#wabp-result a[href^='https://wabp.example.be/api/lookup?q=']").count() == 1
    )
    assert visit.errors == []
    assert visit.outside == []


def test_street_list_while_typing(visit: Visit) -> None:
    page = visit.open("index.html")
    page.fill("#wabp-q", "heiligen")
    page.wait_for_function("document.querySelectorAll('#wabp-streets option').length > 0")
    options = page.eval_on_selector_all("#wabp-streets option", "os => os.map(o => o.value)")
    assert "Heiligenbornstraat" in options


def test_group_list_page(visit: Visit, alken_data: Dataset) -> None:
    page = visit.open("groepen.html")
    rows = page.locator("table.groups tbody th[scope=row]").all_inner_texts()
    assert rows == [z.name for z in alken_data.zones.active()]
    page.click("text=WABP Heiligenborn")
    page.wait_for_load_state("load")
    assert page.url.endswith("zones/heiligenborn.html")
    assert visit.errors == []


def axe_violations(page: Page) -> tuple[int, str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.violations_count, results.generate_report()


@pytest.mark.parametrize("path", PAGES)
def test_no_accessibility_violations(browser: Browser, site: PublishReport, path: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        visit = Visit(context.new_page(), site.out_dir.as_uri() + "/")
        page = visit.open(path)
        if path == "index.html" or path.startswith("zones/"):
            wait_for_map(page)
        # Before axe runs: from disk, axe's own requests for the stylesheets are refused.
        errors = list(visit.errors)
        count, report = axe_violations(page)
    finally:
        context.close()
    assert count == 0, report
    assert errors == []


def test_no_accessibility_violations_after_a_search_and_a_popup(visit: Visit) -> None:
    """What the scripts add to the page (the answer, a popup) is checked too."""
    page = visit.open("index.html")
    wait_for_map(page)
    page.fill("#wabp-q", "Heiligenbornstraat 12")
    page.click("#wabp-search button[type=submit]")
    page.wait_for_function("document.getElementById('wabp-result').dataset.status === 'found'")
    page.evaluate("WABP.zones.heiligenborn.shape.openPopup()")
    page.locator(".leaflet-popup-content").wait_for()
    count, report = axe_violations(page)
    assert count == 0, report


@pytest.mark.parametrize("path", PAGES)
def test_usable_at_360_px(browser: Browser, site: PublishReport, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto((site.out_dir / path).as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert width <= 360


def test_static_search_agrees_with_the_register(
    browser: Browser, site: PublishReport, alken_data: Dataset
) -> None:
    """For every register address, the browser's answer is the address -> zone table's."""
    register, table = alken_data.register, alken_data.table
    queries, expected = [], []
    for a in range(len(register)):
        street = register.streets[int(register.street_of[a])]
        queries.append(f"{street.name} {register.housenumbers[a]}, {street.postcode}")
        expected.append(sorted(table.zones_of(a)))
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((site.out_dir / "index.html").as_uri())
        page.evaluate("new Promise(done => WABP_SEARCH.load(done))")
        answers = page.evaluate(
            "qs => qs.map(q => { const r = WABP_SEARCH.find(q); return r && r.zones; })", queries
        )
    finally:
        context.close()
    wrong = [
        (q, got, want)
        for q, got, want in zip(queries, answers, expected, strict=True)
        if got is None or not set(want) <= set(got)
    ]
    assert wrong == []
    # Only duplicate house numbers on a border may name more zones than the table row.
    assert sum(sorted(got) != want for got, want in zip(answers, expected, strict=True)) <= 5


@pytest.mark.parametrize(("size", "points"), [("A4", (595, 842)), ("A3", (842, 1191))])
def test_print_gives_one_page_per_zone(
    tmp_path: Path, alken_data: Dataset, size: str, points: tuple[int, int]
) -> None:
    from pypdf import PdfReader

    zones = ["heiligenborn", "sint-joris", "kolmen"]
    out = tmp_path / "affiches.pdf"
    # A process of its own: Playwright's sync API cannot start inside this session's browser loop.
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "wabp"),
            "print",
            *(a for z in zones for a in ("--zone", z)),
            "--out",
            str(out),
            "--size",
            size,
            "--register-url",
            "https://wabp.example.be/aanmelden",
            "--data",
            str(alken_data.paths.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(zones)} page(s), {size}" in done.stdout
    pdf = PdfReader(out)
    assert len(pdf.pages) == len(zones)
    for zone_id, page in zip(zones, pdf.pages, strict=True):
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == points
        text = " ".join(page.extract_text().split())
        assert alken_data.zones.get(zone_id).name in text
        assert "Bel bij verdachte situaties eerst 101" in text
        assert "SAAR" in text and "wabp.example.be/aanmelden" in text
