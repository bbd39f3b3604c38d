"""The public zone map: stable facts of the rendered page, never a full-HTML snapshot."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon

from maps import NGI_CARTOWEB, STATIC_DIR, render_public_map
from maps.layers import INFOBORD_CLASS
from zones.dataset import Dataset
from zones.schema import Zone, ZoneSet
from zones.storage import InfobordFeature

REPO = Path(__file__).resolve().parents[2]
MAX_PAGE_BYTES = 300_000
EVIL = "<script>alert(1)</script>"


class PageFacts(HTMLParser):
    """Collect what the tests look at: tags, attributes, and the text of a few elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, str] = {}
        self.row_headers: list[str] = []
        self._open: list[str] = []
        self._in_row_header = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        self._open.append(tag)
        self._in_row_header = tag == "th" and attributes.get("scope") == "row"
        if self._in_row_header:
            self.row_headers.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
        if tag == "th":
            self._in_row_header = False

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] in ("title", "h1"):
            self.texts[self._open[-1]] = self.texts.get(self._open[-1], "") + data
        if self._in_row_header:
            self.row_headers[-1] += data

    def attrs(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(scope="module")
def alken() -> Dataset:
    return Dataset.load(REPO / "data")


@pytest.fixture(scope="module")
def page(alken: Dataset) -> str:
    return render_public_map(alken)


@pytest.fixture(scope="module")
def facts(page: str) -> PageFacts:
    return PageFacts(page)


def renamed(dataset: Dataset, name: str) -> Dataset:
    """Return a copy of `dataset` whose first active zone is called `name` (the original is kept)."""
    first = dataset.zones.active()[0]
    zones = [
        Zone(z.props.model_copy(update={"name": name}), z.geometry) if z is first else z
        for z in dataset.zones
    ]
    return dataset.with_zones(ZoneSet(zones))


# -- the page around the map -------------------------------------------------------------------


def test_page_has_language_title_heading_and_main(alken: Dataset, facts: PageFacts) -> None:
    expected = f"Zones buurtpreventie {alken.meta.name}"
    assert facts.attrs("html") == [{"lang": "nl"}]
    assert facts.texts["title"] == expected
    assert facts.texts["h1"] == expected
    assert len(facts.attrs("main")) == 1


def test_viewport_allows_zoom(facts: PageFacts) -> None:
    viewports = [a["content"] for a in facts.attrs("meta") if a.get("name") == "viewport"]
    assert len(viewports) == 1
    assert "maximum-scale" not in viewports[0]
    assert "user-scalable" not in viewports[0]


def test_scripts_and_stylesheets_are_local(facts: PageFacts) -> None:
    sources = [a["src"] for a in facts.attrs("script") if "src" in a]
    sheets = [a["href"] for a in facts.attrs("link") if a.get("rel") == "stylesheet"]
    assert sources and sheets
    # The only other link is the empty favicon that spares a request for /favicon.ico.
    others = [a["href"] for a in facts.attrs("link") if a.get("rel") != "stylesheet"]
    assert others in ([], ["data:,"])
    for url in sources + sheets:
        assert not re.match(r"(https?:)?//", url), url
        # Every referenced asset is shipped under maps/static (served at /static).
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url


def test_no_folium_cdn_leftovers(page: str) -> None:
    lowered = page.lower()
    for leftover in ("jquery", "bootstrap", "awesome", "cdn.", "unpkg"):
        assert leftover not in lowered
    # Backtick strings are where folium's Tooltip/Popup would let ${...} in a name run.
    assert "`" not in page


def test_relative_asset_base_for_a_static_export(alken: Dataset) -> None:
    facts = PageFacts(render_public_map(alken, asset_base="assets"))
    assert {a["src"] for a in facts.attrs("script") if "src" in a} == {
        "assets/vendor/leaflet/leaflet.js",
        "assets/wabp/streets.js",
        "assets/wabp/zones.js",
    }


@pytest.mark.parametrize(
    "base",
    [
        pytest.param("https://cdn.example.org/static", id="cdn"),
        pytest.param("//cdn.example.org", id="scheme-relative"),
        pytest.param('/static"><script>', id="markup"),
    ],
)
def test_asset_base_must_be_a_local_path(alken: Dataset, base: str) -> None:
    with pytest.raises(ValueError, match="asset_base"):
        render_public_map(alken, asset_base=base)


# -- what the map shows --------------------------------------------------------------------------


def test_every_active_zone_is_named(alken: Dataset, page: str) -> None:
    active = alken.zones.active()
    assert active
    text = unescape(page)
    for zone in active:
        assert zone.name in text


def zone_data(page: str) -> dict[str, Any]:
    """Return the data of the zone layer embedded in a page."""
    found = re.search(
        r'<script type="application/json" id="wabp-zone-data">(.*?)</script>', page, re.S
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_one_zone_layer_entry_per_active_zone(alken: Dataset, page: str) -> None:
    data = zone_data(page)
    assert sorted(z["id"] for z in data["zones"]) == sorted(z.id for z in alken.zones.active())
    # folium draws the boundary; the zones are one data-driven layer, with one layer control.
    assert page.count("L.geoJson(") == (alken.boundary is not None)
    assert page.count("L.control.layers(") == 1
    assert data["map"] in page


def test_zone_outlines_decode_to_the_zones(alken: Dataset, page: str) -> None:
    for entry in zone_data(page)["zones"]:
        scale = 10 ** entry["d"]
        polygons = []
        for polygon in entry["g"]:
            rings = [np.cumsum(np.reshape(steps, (-1, 2)), axis=0) / scale for steps in polygon]
            polygons.append(Polygon(rings[0], rings[1:]))
        zone = alken.zones.get(entry["id"])
        assert MultiPolygon(polygons).area == pytest.approx(zone.geometry.area, rel=1e-3)


def test_infobord_markers_match_the_dataset(alken: Dataset, page: str) -> None:
    active = {z.id for z in alken.zones.active()}
    boards = [b for b in alken.infoborden if b.properties.zone_id in active]
    assert page.count(f'"className": "{INFOBORD_CLASS}"') == len(boards)
    for board in boards:
        assert board.properties.label in unescape(page)


def test_infoborden_of_inactive_zones_are_left_out(alken: Dataset) -> None:
    active = alken.zones.active()
    retired = active[0]
    zones = [
        Zone(z.props.model_copy(update={"status": "retired"}), z.geometry) if z is retired else z
        for z in alken.zones
    ]
    x, y = active[1].geometry.representative_point().coords[0]
    boards = [
        InfobordFeature.model_validate(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {"id": f"bord-{z.id}", "zone_id": z.id, "illustrative": True},
            }
        )
        for z in (retired, active[1])
    ]
    changed = alken.with_zones(ZoneSet(zones))
    base = dataclasses.replace(changed.base, infoborden=boards)
    page = render_public_map(Dataset(changed.paths, changed.meta, base, changed.side))
    assert page.count(f'"className": "{INFOBORD_CLASS}"') == 1
    assert f"Infobord {escape(active[1].name)} (indicatieve plaats)" in page


def test_map_is_fitted_to_the_municipality_lat_first(alken: Dataset, page: str) -> None:
    assert alken.boundary is not None
    found = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert found is not None
    (south, west), (north, east) = json.loads(found.group(1))
    lon_min, lat_min, lon_max, lat_max = alken.boundary.bounds
    assert (south, west, north, east) == pytest.approx(
        (lat_min, lon_min, lat_max, lon_max), abs=1e-6
    )


def test_no_base_tiles_by_default(page: str) -> None:
    assert "L.tileLayer(" not in page


def test_base_tiles_when_asked(alken: Dataset) -> None:
    page = render_public_map(alken, tiles=NGI_CARTOWEB)
    assert "L.tileLayer(" in page
    assert NGI_CARTOWEB.url in page
    facts = PageFacts(page)
    assert not any(
        re.match(r"(https?:)?//", a.get("src", "") + a.get("href", ""))
        for a in facts.attrs("script") + facts.attrs("link")
    )


def test_rendering_does_not_modify_the_dataset(alken: Dataset) -> None:
    before = [(z.name, z.geometry.wkb, z.props.model_dump()) for z in alken.zones]
    boundary = alken.boundary.wkb if alken.boundary is not None else None
    render_public_map(alken)
    assert [(z.name, z.geometry.wkb, z.props.model_dump()) for z in alken.zones] == before
    assert (alken.boundary.wkb if alken.boundary is not None else None) == boundary


# -- the accessible alternative ---------------------------------------------------------------------


def test_group_list_lists_each_group_with_its_streets(alken: Dataset, page: str) -> None:
    active = alken.zones.active()
    assert PageFacts(page).row_headers == [z.name for z in active]
    list_text = unescape(page[page.index('id="groepen"') :])
    for zone in active:
        for rule in zone.props.streets:
            assert rule.describe() in list_text


def test_rules_residents_must_know(page: str) -> None:
    assert "Bel bij verdachte situaties altijd eerst 101" in page
    assert "SAAR" in page
    for step in ("Signaleer", "Alarmeer 101", "App", "Reageer"):
        assert f"<dt>{step}</dt>" in page


def test_join_link_points_to_the_registration(page: str) -> None:
    assert 'href="/aanmelden"' in page


def test_unsafe_join_url_falls_back_to_the_registration(alken: Dataset) -> None:
    meta = alken.meta.model_copy(update={"join_url": "javascript:alert(1)"})
    page = render_public_map(Dataset(alken.paths, meta, alken.base, alken.side))
    assert "javascript:" not in page
    assert 'href="/aanmelden"' in page


# -- escaping ----------------------------------------------------------------------------------------


def test_zone_name_is_escaped_everywhere(alken: Dataset) -> None:
    page = render_public_map(renamed(alken, f"WABP {EVIL}"))
    assert EVIL not in page
    assert escape(f"WABP {EVIL}") in page  # legend and group list
    # The zone layer's data keeps the plain name (zones.js uses textContent), JSON-escaped for HTML.
    assert f"WABP {EVIL}" in [z["name"] for z in zone_data(page)["zones"]]
    assert "\\u003cscript\\u003e" in page
    assert page.count("<script") == len(PageFacts(page).attrs("script"))


def test_how_to_join_is_escaped(alken: Dataset) -> None:
    first = alken.zones.active()[0]
    zones = [
        Zone(z.props.model_copy(update={"how_to_join": EVIL}), z.geometry) if z is first else z
        for z in alken.zones
    ]
    page = render_public_map(alken.with_zones(ZoneSet(zones)))
    assert EVIL not in page
    assert escape(EVIL) in page


# -- the address search ------------------------------------------------------------------------------


def test_search_form_when_lookup_url_is_set(alken: Dataset) -> None:
    facts = PageFacts(render_public_map(alken, lookup_url="/api/lookup"))
    forms = facts.attrs("form")
    # Scripts ask the API; without them the form goes to the server-rendered answer.
    assert len(forms) == 1 and forms[0]["data-lookup"] == "/api/lookup"
    assert forms[0]["action"] == "/zoek"
    labels = facts.attrs("label")
    assert [label["for"] for label in labels] == ["wabp-q"]
    assert {"id": "wabp-q"}.items() <= facts.attrs("input")[0].items()


def test_search_label_text(page: str) -> None:
    assert '<label for="wabp-q">Zoek uw adres</label>' in page
    assert "fetch(" in page


def test_no_search_without_lookup_url(alken: Dataset) -> None:
    page = render_public_map(alken, lookup_url=None)
    assert "<form" not in page
    assert "Zoek uw adres" not in page
    assert "fetch(" not in page


# -- size --------------------------------------------------------------------------------------------


def test_page_size(page: str, record_property: Callable[[str, object], None]) -> None:
    size = len(page.encode("utf-8"))
    record_property("page_bytes", size)
    assert size < MAX_PAGE_BYTES, f"the Alken page is {size:,} bytes"
