"""The /voorstel page: stable facts of the HTML, and the page in Chromium against a faked API.

The browser tests serve the page and maps/static from 127.0.0.1 and answer /api with playwright's
route interception. The fake answers proposals with the real ``parse_proposal`` and ``report`` on the
shipped dataset, so what the page sends must be what the domain accepts.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely

from maps import STATIC_DIR
from maps.draw import GEOMAN_VERSION, render_draw_page
from maps.tiles import NGI_CARTOWEB
from tests.maps.conftest import needs_chromium
from tests.maps.test_compare import (
    EVIL,
    BrowserLog,
    PageFacts,
    axe_violations,
    local_site,
    strip_proposal,
)
from zones.dataset import Dataset
from zones.lookup import Locator
from zones.points import address_points
from zones.proposals import InvalidShapeError, ProposalError, parse_proposal, report
from zones.storage import zones_to_geojson

REPO = Path(__file__).resolve().parents[2]
EMAIL = "coordinator@example.be"
PASSWORD = "correct horse battery staple"
TOKEN = "token-for-tests"
EVIL_NAME = '<img src=x onerror="window.__pwned = 1">'


@pytest.fixture(scope="module")
def alken() -> Dataset:
    return Dataset.load(REPO / "data")


@pytest.fixture(scope="module")
def page(alken: Dataset) -> str:
    return render_draw_page(alken)


@pytest.fixture(scope="module")
def facts(page: str) -> PageFacts:
    return PageFacts(page)


# -- stable facts of the HTML --------------------------------------------------------------------


def test_page_has_language_title_heading_and_main(facts: PageFacts) -> None:
    assert facts.attrs("html") == [{"lang": "nl"}]
    assert facts.texts["title"] == "Zonevoorstel indienen – buurtpreventie Alken"
    assert facts.texts["h1"] == "Zonevoorstel indienen"
    assert len(facts.attrs("main")) == 1


def test_viewport_allows_zoom(facts: PageFacts) -> None:
    viewports = [a["content"] for a in facts.attrs("meta") if a.get("name") == "viewport"]
    assert len(viewports) == 1
    assert "maximum-scale" not in viewports[0] and "user-scalable" not in viewports[0]


def test_scripts_and_stylesheets_are_vendored(facts: PageFacts) -> None:
    sources = [a["src"] for a in facts.attrs("script")]
    sheets = [a["href"] for a in facts.attrs("link") if a.get("rel") == "stylesheet"]
    assert sources == [
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/geoman/leaflet-geoman.min.js",
        "/static/wabp/streets.js",
        "/static/wabp/voorstel.js",
    ]
    assert "/static/vendor/geoman/leaflet-geoman.css" in sheets
    for url in sources + [a["href"] for a in facts.attrs("link")]:
        assert not re.match(r"(https?:)?//", url), url
    for url in sources + sheets:
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url


def test_geoman_is_pinned_with_its_licence() -> None:
    readme = (STATIC_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    assert f"@geoman-io/leaflet-geoman-free@{GEOMAN_VERSION}" in readme
    assert (STATIC_DIR / "vendor" / "geoman" / "LICENSE").read_text().startswith("MIT License")


def test_no_inline_script_or_event_handler(page: str, facts: PageFacts) -> None:
    # A Content-Security-Policy of script-src 'self' must not break the page.
    assert all("src" in a for a in facts.attrs("script"))
    assert page.count("<script") == len(facts.attrs("script"))
    handlers = [(t, k) for t, a in facts.tags for k in a if k.startswith("on")]
    assert handlers == []
    assert "javascript:" not in page


def test_every_control_is_labelled(facts: PageFacts) -> None:
    labelled = {a["for"] for a in facts.attrs("label") if "for" in a}
    controls = [a for t, a in facts.tags if t in ("input", "select", "textarea")]
    assert len(controls) >= 10
    for control in controls:
        assert control.get("id") in labelled, control


def test_sign_in_form_fields(facts: PageFacts) -> None:
    inputs = {a["id"]: a for a in facts.attrs("input") if "id" in a}
    assert inputs["signin-email"]["type"] == "email"
    assert inputs["signin-email"]["autocomplete"] == "username"
    assert inputs["signin-password"]["type"] == "password"
    assert inputs["signin-password"]["autocomplete"] == "current-password"


def test_configuration_for_the_script(alken: Dataset) -> None:
    facts = PageFacts(render_draw_page(alken, asset_base="assets", api_base="/wabp/api/"))
    (main,) = facts.attrs("main")
    assert main["data-api"] == "/wabp/api"
    assert main["data-proposal-map"] == "/proposals/{id}/map"
    (south, west), (north, east) = json.loads(main["data-bounds"])
    assert (south, west) < (north, east) and 50 < south < 52 and 5 < west < 6  # lat first
    assert json.loads(main["data-boundary"])["type"] == "Polygon"
    assert json.loads(main["data-tiles"]) is None
    assert {a["src"] for a in facts.attrs("script")} >= {"assets/wabp/voorstel.js"}


def test_tiles_when_asked(alken: Dataset) -> None:
    facts = PageFacts(render_draw_page(alken, tiles=NGI_CARTOWEB))
    (main,) = facts.attrs("main")
    assert json.loads(main["data-tiles"])["url"] == NGI_CARTOWEB.url


@pytest.mark.parametrize(
    "api_base",
    [
        pytest.param("https://api.example.org", id="other-host"),
        pytest.param("//api.example.org", id="scheme-relative"),
        pytest.param("api", id="relative"),
        pytest.param('/api" onload="x', id="attribute-break"),
    ],
)
def test_api_base_must_be_a_same_origin_path(alken: Dataset, api_base: str) -> None:
    with pytest.raises(ValueError, match="same-origin path"):
        render_draw_page(alken, api_base=api_base)


def test_municipality_name_is_escaped(alken: Dataset) -> None:
    evil = Dataset(
        alken.paths, alken.meta.model_copy(update={"name": EVIL}), alken.base, alken.side
    )
    page = render_draw_page(evil)
    assert EVIL not in page
    assert escape(EVIL, quote=False) in page


# -- in Chromium, against a faked API -------------------------------------------------------------


class FakeApi:
    """Answer the page's /api requests the way the service does, and record what it sent."""

    def __init__(self, dataset: Dataset, user: dict[str, Any]) -> None:
        self.dataset = dataset
        self.user = user
        zones = zones_to_geojson(dataset.zones)
        # A hostile name from the API must reach the page as text.
        for feature in zones["features"]:
            if feature["properties"]["id"] == "kolmen":
                feature["properties"]["name"] = EVIL_NAME
        self.zones = zones
        self.sent: list[dict[str, Any]] = []
        self.authorization: list[str | None] = []
        self.summaries: list[list[str]] = []
        self.scripted: list[tuple[int, dict[str, Any]]] = []
        self.locator = Locator(dataset)

    def __call__(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path.removeprefix("/api")
        signed_in = request.headers.get("authorization") == f"Bearer {TOKEN}"
        if path == "/auth/token" and request.method == "POST":
            form = parse_qs(request.post_data or "")
            if form.get("username") == [EMAIL] and form.get("password") == [PASSWORD]:
                route.fulfill(json={"access_token": TOKEN, "token_type": "bearer"})
            else:
                route.fulfill(status=401, json={"code": "unauthorized", "detail": "bad login"})
        elif path == "/auth/me":
            route.fulfill(
                json=self.user
                if signed_in
                else {"code": "unauthorized", "detail": "not signed in"},
                status=200 if signed_in else 401,
            )
        elif path == "/zones":
            route.fulfill(json=self.zones, content_type="application/geo+json")
        elif path == "/streets":
            q = parse_qs(urlsplit(request.url).query)["q"][0].lower()
            found = [
                {"name": s.name, "postcode": s.postcode, "municipality": s.municipality, "score": 1}
                for s in self.dataset.register.streets
                if q in s.name.lower()
            ]
            route.fulfill(json=found[:10])
        elif path == "/lookup":  # street mode asks which group each number is in now
            q = parse_qs(urlsplit(request.url).query)["q"][0]
            route.fulfill(json=self.locator.lookup(q).model_dump(mode="json"))
        elif path == "/addresses":
            bbox = parse_qs(urlsplit(request.url).query)["bbox"][0].split(",")
            west, south, east, north = (float(v) for v in bbox)
            points = address_points(self.dataset, (west, south, east, north))
            route.fulfill(json=points.model_dump(mode="json"))
        elif path == "/proposals" and request.method == "GET":
            route.fulfill(
                json=[] if signed_in else {"code": "unauthorized"}, status=200 if signed_in else 401
            )
        elif path == "/proposals" and request.method == "POST":
            self.authorization.append(request.headers.get("authorization"))
            self.sent.append(json.loads(request.post_data or "null"))
            status, body = self.scripted.pop(0) if self.scripted else self._propose(self.sent[-1])
            route.fulfill(status=status, json=body)
        else:
            route.fulfill(status=404, json={"code": "not_found", "detail": "Not Found"})

    def _propose(self, feature: Any) -> tuple[int, dict[str, Any]]:
        # The service's answers, from service/routes/proposals.py and service/errors.py.
        try:
            result, _ = report(parse_proposal(feature, self.dataset), self.dataset)
        except InvalidShapeError as exc:
            detail = {"reason": exc.reason, "message": str(exc), "repaired": exc.repaired}
            return 422, {"code": "invalid_shape", "detail": detail}
        except ProposalError as exc:
            return 422, {"code": "invalid_proposal", "detail": str(exc)}
        self.summaries.append(result.summary)
        return 201, {"id": "p1", "status": "submitted", "report": result.model_dump(mode="json")}


@pytest.fixture(scope="module")
def site(alken: Dataset) -> Iterator[str]:
    with local_site({"/voorstel": render_draw_page(alken)}) as base:
        yield base


@dataclasses.dataclass
class Session:
    """One browser tab on /voorstel with its fake API and its log."""

    page: Any
    api: FakeApi
    log: BrowserLog

    def sign_in(self, password: str = PASSWORD) -> None:
        """Fill in and send the sign-in form."""
        self.page.get_by_label("E-mailadres").fill(EMAIL)
        self.page.get_by_label("Wachtwoord").fill(password)
        self.page.get_by_role("button", name="Aanmelden").click()

    def submit(self) -> None:
        """Send the proposal and wait for the answer to be shown."""
        count = len(self.api.sent)
        self.page.get_by_role("button", name="Voorstel indienen").click()
        self.page.wait_for_function(
            "document.querySelector('#result').textContent.indexOf('Bezig') < 0"
        )
        assert len(self.api.sent) == count + 1


def open_page(
    browser: Any, site: str, alken: Dataset, user: dict[str, Any], width: int = 1280
) -> Session:
    """Open /voorstel in a fresh context with the fake API."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    api = FakeApi(alken, user)
    log = BrowserLog()
    log.watch(page, site)
    page.route(f"{site}/api/**", api)
    page.goto(f"{site}/voorstel")
    return Session(page, api, log)


def coordinator(zone_id: str | None = "sint-joris") -> dict[str, Any]:
    return {"id": 7, "email": EMAIL, "role": "coordinator", "zone_id": zone_id}


def decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def assert_clean_geometry(geometry: dict[str, Any]) -> None:
    """2D, longitude first (Belgium), at most 7 decimals."""
    rings = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in rings:
        for ring in polygon:
            assert ring[0] == ring[-1] and len(ring) >= 4
            for position in ring:
                assert len(position) == 2
                lon, lat = position
                assert 2.5 < lon < 6.4 and 49.5 < lat < 51.6
                assert decimals(lon) <= 7 and decimals(lat) <= 7


@pytest.mark.browser
@needs_chromium
def test_coordinator_reshapes_own_zone_and_submits(browser: Any, site: str, alken: Dataset) -> None:
    session = open_page(browser, site, alken, coordinator())
    page = session.page
    try:
        session.sign_in()
        page.locator("#voorstel").wait_for()
        assert EMAIL in page.locator("#whoami").inner_text()
        own = page.get_by_label("Mijn zone: WABP Sint-Joris")
        assert own.is_checked()
        # Every current zone is named on the map, and the own zone is in the editor, in edit mode.
        page.locator(".wabp-zone-name").nth(len(alken.zones) - 1).wait_for()
        assert page.locator(".wabp-zone-name").count() == len(alken.zones)
        vertices = len(shapely.get_coordinates(alken.zones.get("sint-joris").geometry)) - 1
        handles = page.locator(".leaflet-marker-icon.marker-icon:not(.marker-icon-middle)")
        assert handles.count() >= vertices // 2
        assert page.locator("#tool-edit").get_attribute("aria-pressed") == "true"
        # Hundreds of drag handles must not become hundreds of nameless tab stops.
        assert page.locator(".marker-icon[role=button], .marker-icon[tabindex='0']").count() == 0
        stored = page.evaluate(
            "[sessionStorage.getItem('wabp.voorstel.token'), localStorage.length, document.cookie]"
        )
        assert stored == [TOKEN, 0, ""]

        session.submit()
        result = page.locator("#result")
        assert "Uw voorstel is ingediend" in result.inner_text()
        assert result.locator("li").all_inner_texts() == session.api.summaries[-1]
        assert result.get_by_role("link").get_attribute("href") == "/proposals/p1/map"
    finally:
        page.context.close()

    (sent,) = session.api.sent
    assert session.api.authorization == [f"Bearer {TOKEN}"]
    assert sent["type"] == "Feature"
    assert sent["properties"] == {"zone_id": "sint-joris"}
    assert "units" not in sent
    assert_clean_geometry(sent["geometry"])
    drawn = shapely.geometry.shape(sent["geometry"])
    assert drawn.symmetric_difference(alken.zones.get("sint-joris").geometry).area < 1e-9
    assert session.log.errors == []
    assert session.log.outside == []


@pytest.mark.browser
@needs_chromium
def test_repaired_shape_is_offered_and_used(browser: Any, site: str, alken: Dataset) -> None:
    strip = strip_proposal(alken)
    session = open_page(browser, site, alken, coordinator())
    session.api.scripted.append(
        (
            422,
            {
                "code": "invalid_shape",
                "detail": {
                    "reason": "Self-intersection[5.27 50.88]",
                    "message": "invalid polygon: Self-intersection[5.27 50.88]",
                    "repaired": strip["geometry"],
                },
            },
        )
    )
    page = session.page
    try:
        session.sign_in()
        page.locator(".wabp-zone-name").first.wait_for()
        session.submit()
        assert "De vorm is ongeldig" in page.locator("#result").inner_text()
        page.get_by_role("button", name="Gebruik de herstelde vorm").click()
        session.submit()
        lines = page.locator("#result li").all_inner_texts()
    finally:
        page.context.close()

    repaired = shapely.geometry.shape(session.api.sent[-1]["geometry"])
    assert repaired.symmetric_difference(shapely.geometry.shape(strip["geometry"])).area < 1e-10
    assert lines == session.api.summaries[-1]
    assert any(line.startswith("verplaatst Lindestraat") for line in lines)
    # The scripted 422 is logged by Chromium as a failed resource load; nothing else may be.
    assert [e for e in session.log.errors if "422" not in e] == []


@pytest.mark.browser
@needs_chromium
def test_new_group_from_picked_streets(browser: Any, site: str, alken: Dataset) -> None:
    session = open_page(browser, site, alken, coordinator(zone_id=None), width=360)
    page = session.page
    try:
        session.sign_in()
        page.locator(".wabp-zone-name").first.wait_for()
        assert page.get_by_label("Nieuwe groep", exact=True).is_checked()
        assert page.get_by_label("Mijn zone").is_hidden()
        page.get_by_label("Naam van de nieuwe groep").fill("WABP Lindestraat")
        page.get_by_label("Straten kiezen").check()
        page.get_by_label("Zoek een straat").fill("Lindestr")
        page.get_by_role("button", name="Lindestraat, 3570 Alken").click()
        page.get_by_label("Huisnummers in Lindestraat").select_option("even")
        page.get_by_label("Toelichting voor de gemeente (niet verplicht)").fill("Even kant")
        # Usable at 360 px: nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        session.submit()
        lines = page.locator("#result li").all_inner_texts()
    finally:
        page.context.close()

    (sent,) = session.api.sent
    assert sent == {
        "type": "Feature",
        "properties": {"name": "WABP Lindestraat", "note": "Even kant"},
        "geometry": None,
        "units": {"streets": [{"name": "Lindestraat", "numbers": "even", "postcode": "3570"}]},
    }
    assert lines == session.api.summaries[-1]
    assert session.log.errors == []


@pytest.mark.browser
@needs_chromium
def test_names_from_the_api_stay_text(browser: Any, site: str, alken: Dataset) -> None:
    session = open_page(browser, site, alken, coordinator())
    page = session.page
    try:
        session.sign_in()
        page.locator(".wabp-zone-name").first.wait_for()
        names = page.locator(".wabp-zone-name").all_inner_texts()
        injected = page.evaluate("[window.__pwned, document.querySelectorAll('main img').length]")
    finally:
        page.context.close()
    assert EVIL_NAME in names
    assert injected == [None, 0]


@pytest.mark.browser
@needs_chromium
def test_wrong_password_and_sign_out(browser: Any, site: str, alken: Dataset) -> None:
    session = open_page(browser, site, alken, coordinator())
    page = session.page
    try:
        session.sign_in(password="wrong")
        message = page.locator("#signin-message")
        message.get_by_text("horen niet bij elkaar").wait_for()
        assert page.locator("#voorstel").is_hidden()
        session.sign_in()
        page.locator("#voorstel").wait_for()
        page.get_by_role("button", name="Afmelden").click()
        assert page.locator("#aanmelden").is_visible()
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        page.context.close()
    # The failed sign-in answers 401; Chromium logs that as a failed resource load.
    assert [e for e in session.log.errors if "401" not in e] == []


@pytest.mark.browser
@needs_chromium
def test_no_axe_violations_when_signed_in(browser: Any, site: str, alken: Dataset) -> None:
    session = open_page(browser, site, alken, coordinator())
    page = session.page
    try:
        signed_out = axe_violations(page)
        session.sign_in()
        page.locator(".wabp-zone-name").first.wait_for()
        signed_in = axe_violations(page)
    finally:
        page.context.close()
    assert signed_out == []
    assert signed_in == []


@pytest.mark.browser
@needs_chromium
def test_edit_handles_do_not_crowd_a_phone_and_come_back_when_zoomed_in(
    browser: Any, site: str, alken: Dataset
) -> None:
    session = open_page(browser, site, alken, coordinator(), width=360)
    page = session.page
    corners = ".leaflet-marker-icon.marker-icon:not(.marker-icon-middle)"
    shown_corners = corners + ":not(.handle--hidden)"
    try:
        session.sign_in()
        page.locator(".wabp-zone-name").first.wait_for()
        page.locator(shown_corners).first.wait_for()
        all_corners = page.locator(corners).count()
        centres = page.locator(".marker-icon:not(.handle--hidden)").evaluate_all(
            "nodes => nodes.map(n => { const b = n.getBoundingClientRect();"
            " return [b.left + b.width / 2, b.top + b.height / 2]; })"
        )
        before = page.locator(shown_corners).count()
        # Two zoom steps in: the handles that were left out come back (more of them fit).
        for _ in range(2):
            with_zoom = page.evaluate("document.getElementById('inhoud').dataset.handles")
            page.get_by_role("button", name="Inzoomen").click()
            page.wait_for_function(
                f"document.getElementById('inhoud').dataset.handles !== {json.dumps(with_zoom)}"
            )
        after = page.locator(shown_corners).count()
    finally:
        page.context.close()
    vertices = len(shapely.get_coordinates(alken.zones.get("sint-joris").geometry)) - 1
    assert all_corners >= vertices // 2
    # At the zone's first view on a phone, a handle every ~26 px at most: a few dozen, not hundreds.
    assert 3 <= before < all_corners // 3
    for i, (x1, y1) in enumerate(centres):
        for x2, y2 in centres[i + 1 :]:
            assert (x1 - x2) ** 2 + (y1 - y2) ** 2 >= 20**2
    assert after > before
    assert session.log.errors == []
