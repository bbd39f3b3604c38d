"""The register base map: streets drawn through the register's address points, offline.

What it promises: a line for each street with houses, drawn only where the street's houses are,
under the zones, with the street names when zoomed in and an attribution that says where it comes
from; no tile request leaves the page. Checked in Python and on a published site in Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from maps.basemap import REGISTER_ATTRIBUTION, street_layer_data, street_lines
from maps.draw import render_draw_page
from maps.public import render_public_map
from maps.site import PublishOptions, publish_site
from maps.tiles import REGISTER_STREETS, tile_origin, tiles_from_setting
from tests.maps.conftest import needs_chromium
from tests.maps.test_compare import axe_violations
from zones.dataset import Dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# maps/basemap.py pulls each house at most this far towards its neighbours across the road.
SMOOTH_M = 35.0
# ... and leaves a longer gap between two houses open.
MAX_GAP_M = 250.0


def test_register_is_a_base_map_setting_without_a_tile_host() -> None:
    spec = tiles_from_setting("register")
    assert spec is REGISTER_STREETS
    assert spec.from_register
    assert tile_origin(spec) is None  # nothing for the Content-Security-Policy to allow
    assert "adressenregister" in spec.attribution and "CRAB" in spec.attribution


def test_every_street_with_houses_gets_a_line_through_its_houses(alken_data: Dataset) -> None:
    register = alken_data.register
    lines = {line.name: line for line in street_lines(register)}
    for street in register.streets:
        ids = register.on_street_array(street.id)
        ids = ids[register.positioned[ids]]
        houses = np.unique(np.c_[register.x[ids], register.y[ids]], axis=0)
        d = np.sqrt(((houses[:, None, :] - houses[None, :, :]) ** 2).sum(axis=2))
        np.fill_diagonal(d, np.inf)
        if len(houses) < 2 or d.min() > MAX_GAP_M:
            # One house, or houses too far apart to say where the road runs: no line.
            assert street.name not in lines, street.name
            continue
        assert street.name in lines, street.name
        line = lines[street.name]
        assert line.labels_xy
        for part in line.parts:
            # Each corner of the line is near a house of the street: nothing is invented.
            d = np.sqrt(((part[:, None, :] - houses[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
            assert d.max() <= SMOOTH_M + 1e-6, street.name


def test_layer_data_is_compact_and_clipped_to_a_box(alken_data: Dataset) -> None:
    register = alken_data.register
    everything = street_layer_data(register)
    assert everything["attribution"] == REGISTER_ATTRIBUTION
    assert len(everything["streets"]) == len(street_lines(register))
    assert len(json.dumps(everything)) < 200_000  # Alken: tens of kilobytes
    first = street_lines(register)[0].parts[0]
    x, y = first[0]
    near = street_layer_data(register, (x - 1, y - 1, x + 1, y + 1))
    assert 0 < len(near["streets"]) < len(everything["streets"])


def test_public_map_draws_register_streets_instead_of_tiles(alken_data: Dataset) -> None:
    html = render_public_map(alken_data, tiles=REGISTER_STREETS)
    assert "tileLayer" not in html
    zone_data = re.search(r'id="wabp-zone-data">(.*?)</script>', html, re.S)
    assert zone_data is not None
    streets = json.loads(zone_data.group(1))["streets"]["streets"]
    assert {s["n"] for s in streets} >= {"Heiligenbornstraat", "Stationsstraat"}
    assert "wabp/streets.js" in html


def test_proposal_page_carries_the_streets_and_no_tiles(alken_data: Dataset) -> None:
    html = render_draw_page(alken_data, tiles=REGISTER_STREETS)
    assert 'data-tiles="null"' in html
    data = re.search(r'id="wabp-street-data">(.*?)</script>', html, re.S)
    assert data is not None and json.loads(data.group(1))["streets"]
    without = render_draw_page(alken_data, tiles=None)
    assert "wabp-street-data" not in without


@pytest.mark.browser
@needs_chromium
def test_published_site_shows_register_streets_at_360px(
    alken_data: Dataset, browser: Browser, tmp_path: Path
) -> None:
    report = publish_site(alken_data, tmp_path / "site", PublishOptions(tiles=REGISTER_STREETS))
    base = report.out_dir.as_uri()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    outside: list[str] = []
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page.goto(base + "/index.html")
        page.locator(".leaflet-pane.leaflet-wabp-streets-pane canvas").wait_for(state="attached")
        attribution = page.locator(".leaflet-control-attribution").inner_text()
        assert "adressenregister" in attribution
        # Zoomed out: no names. After a search the map zooms to the address: street names.
        assert page.locator(".wabp-street-name").count() == 0
        page.fill("#wabp-q", "Heiligenbornstraat 12")
        page.click("#wabp-search button[type=submit]")
        page.locator("#wabp-result[data-status=found]").wait_for()
        page.locator(".wabp-street-name", has_text="Heiligenbornstraat").first.wait_for()
        page.locator(".map-frame").scroll_into_view_if_needed()
        assert axe_violations(page) == []
    finally:
        context.close()
    assert errors == []
    assert outside == []


@pytest.mark.browser
@needs_chromium
def test_served_pages_draw_register_streets_under_their_policy(
    browser: Browser, tmp_path: Path
) -> None:
    from service.app import create_app
    from tests.service.apps import app_settings, copy_dataset
    from tests.service.served import served

    settings = app_settings(
        copy_dataset(tmp_path / "data"), f"sqlite:///{tmp_path / 'db.sqlite'}", tiles="register"
    )
    errors: list[str] = []
    with served(create_app(settings)) as url:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        try:
            page = context.new_page()
            # A refused script or style (the pages' Content-Security-Policy) is a console error.
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            for path in ("/", "/zones/heiligenborn"):
                page.goto(url + path)
                page.locator(".leaflet-wabp-streets-pane canvas").wait_for(state="attached")
                credit = page.locator(".leaflet-control-attribution").inner_text()
                assert "adressenregister" in credit, path
            html = page.request.get(url + "/voorstel").text()
        finally:
            context.close()
    assert 'id="wabp-street-data"' in html
    assert errors == []


@pytest.mark.browser
@needs_chromium
def test_municipality_reviews_a_proposal_on_the_streets(browser: Browser, tmp_path: Path) -> None:
    """The comparison map the municipality opens from its review page has the base map under it."""
    import httpx
    from playwright.sync_api import expect

    from service.app import create_app
    from tests.service.apps import app_settings, copy_dataset
    from tests.service.served import served
    from tests.service.test_proposal_story import PASSWORD, USERS, add_users, strip_feature

    root = copy_dataset(tmp_path / "data")
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    add_users(database)
    errors: list[str] = []
    with served(create_app(app_settings(root, database, tiles="register"))) as url:
        token = httpx.post(
            f"{url}/api/auth/token",
            data={"username": USERS["sint-joris"][0], "password": PASSWORD},
        ).json()["access_token"]
        submitted = httpx.post(
            f"{url}/api/proposals",
            json=strip_feature(Dataset.load(root)),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert submitted.status_code == 201, submitted.text
        context = browser.new_context(viewport={"width": 360, "height": 740})
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{url}/beheer")
            page.get_by_label("E-mailadres").fill(USERS["municipality"][0])
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Inloggen").click()
            page.goto(f"{url}/beheer/gemeente/voorstellen/{submitted.json()['id']}")
            with page.expect_navigation():
                page.get_by_role("link", name="Kaart: huidige en voorgestelde grenzen").click()
            page.locator(".leaflet-wabp-streets-pane canvas").wait_for(state="attached")
            credit = page.locator(".leaflet-control-attribution").inner_text()
            # Zoomed in to street level (zoom 16, a few steps from the whole zone): names.
            page.locator(".wabp-map").scroll_into_view_if_needed()
            names = page.locator(".wabp-street-name")
            scale = page.locator(".leaflet-control-scale")
            for _ in range(6):
                if names.count():
                    break
                before = scale.inner_text()
                page.get_by_role("button", name="Inzoomen").click()
                expect(scale).not_to_have_text(before)  # the zoom step is done
            names.first.wait_for()
            violations = axe_violations(page)
            # Back to the review, where the decision is taken.
            with page.expect_navigation():
                page.get_by_role("link", name="Terug naar het voorstel").click()
            review = page.url
        finally:
            context.close()
    assert "adressenregister" in credit
    assert violations == []
    assert review == f"{url}/beheer/gemeente/voorstellen/{submitted.json()['id']}"
    assert errors == []
