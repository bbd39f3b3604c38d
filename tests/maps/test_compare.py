"""The proposal comparison map: stable facts of the page, and the page in a real browser.

The proposal used throughout gives WABP Sint-Joris a strip of WABP Terkoest (Sint-Joris widened by
about 300 m, cut to Terkoest), as a coordinator could draw it. The local test site below (pages plus
maps/static, served from 127.0.0.1) is shared with test_draw.py.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import shapely

from maps import STATIC_DIR
from maps.compare import (
    CURRENT_LAYER,
    MOVE_CLASS,
    OVERLAP_LAYER,
    PROPOSED_LAYER,
    SHELL_TITLE,
    render_proposal_map,
    render_proposal_map_shell,
)
from maps.tiles import OSM, REGISTER_STREETS
from tests.maps.conftest import needs_chromium
from zones.dataset import Dataset
from zones.proposals import Report, parse_proposal, report
from zones.schema import Zone, ZoneSet

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
EVIL = "<script>alert(1)</script>"


def strip_proposal(dataset: Dataset) -> dict[str, Any]:
    """Return the proposal Feature that moves a strip of Terkoest into Sint-Joris, as parsed JSON."""
    sint_joris, terkoest = dataset.zones.get("sint-joris"), dataset.zones.get("terkoest")
    strip = shapely.intersection(sint_joris.geometry.buffer(0.003), terkoest.geometry)
    shape = shapely.set_precision(shapely.union(sint_joris.geometry, strip), 1e-7)
    feature = {
        "type": "Feature",
        "properties": {"zone_id": "sint-joris", "note": "De Lindestraat hoort bij Sint-Joris."},
        "geometry": shapely.geometry.mapping(shape),
    }
    result: dict[str, Any] = json.loads(json.dumps(feature))
    return result


def changed_addresses(dataset: Dataset, after: ZoneSet) -> list[int]:
    """Return the register addresses whose zones differ between the dataset and `after`."""
    before_table, after_table = dataset.table, dataset.with_zones(after).table
    return [
        a
        for a in range(len(dataset.register))
        if before_table.zones_of(a) != after_table.zones_of(a)
    ]


def move_markers(page: str) -> list[tuple[float, float, str, str]]:
    """Return the moved-address markers of a comparison page: (lat, lon, colour, tooltip)."""
    found = re.findall(r"var \w+_points = (\[.*\]);\n", page)
    return [tuple(p) for points in found for p in json.loads(points)]  # type: ignore[misc]


class PageFacts(HTMLParser):
    """Collect tags with their attributes, and the text inside a few elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, str] = {}
        self.summary: list[str] = []
        self.rows: list[list[str]] = []
        self._open: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag in ("meta", "link", "input", "br"):
            return
        self._open.append((tag, attributes))
        if tag == "li" and self._inside("ul", "summary"):
            self.summary.append("")
        if tag == "tr" and self._inside("tbody"):
            self.rows.append([])
        if tag in ("th", "td") and self._inside("tbody"):
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        tag = self._open[-1][0]
        if tag in ("title", "h1"):
            self.texts[tag] = self.texts.get(tag, "") + data
        if self._inside("ul", "summary") and self._inside("li"):
            self.summary[-1] += data
        if self._inside("tbody") and (self._inside("td") or self._inside("th")):
            self.rows[-1][-1] += data

    def _inside(self, tag: str, cls: str | None = None) -> bool:
        return any(t == tag and (cls is None or cls in a.get("class", "")) for t, a in self._open)

    def attrs(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(scope="module")
def alken() -> Dataset:
    return Dataset.load(REPO / "data")


@pytest.fixture(scope="module")
def proposal(alken: Dataset) -> tuple[Report, ZoneSet]:
    return report(parse_proposal(strip_proposal(alken), alken), alken)


@pytest.fixture(scope="module")
def page(alken: Dataset, proposal: tuple[Report, ZoneSet]) -> str:
    return render_proposal_map(alken, *proposal)


@pytest.fixture(scope="module")
def facts(page: str) -> PageFacts:
    return PageFacts(page)


# -- the page around the map -------------------------------------------------------------------


def test_page_has_language_title_heading_and_main(facts: PageFacts) -> None:
    expected = "Voorstel voor WABP Sint-Joris: huidige en voorgestelde zones"
    assert facts.attrs("html") == [{"lang": "nl"}]
    assert facts.texts["title"] == expected
    assert facts.texts["h1"] == expected
    assert len(facts.attrs("main")) == 1


def test_viewport_allows_zoom(facts: PageFacts) -> None:
    viewports = [a["content"] for a in facts.attrs("meta") if a.get("name") == "viewport"]
    assert len(viewports) == 1
    assert "maximum-scale" not in viewports[0]
    assert "user-scalable" not in viewports[0]


def test_scripts_and_stylesheets_are_local(facts: PageFacts, page: str) -> None:
    sources = [a["src"] for a in facts.attrs("script") if "src" in a]
    sheets = [a["href"] for a in facts.attrs("link") if a.get("rel") == "stylesheet"]
    assert sources and sheets
    for url in sources + [a["href"] for a in facts.attrs("link")]:
        assert not re.match(r"(https?:)?//", url), url
    for url in sources + sheets:
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url
    for leftover in ("jquery", "bootstrap", "unpkg", "cdn."):
        assert leftover not in page.lower()


def test_asset_base_must_be_a_local_path(alken: Dataset, proposal: tuple[Report, ZoneSet]) -> None:
    with pytest.raises(ValueError, match="local path"):
        render_proposal_map(alken, *proposal, asset_base="https://cdn.example.org/static")


# -- the shell that loads the map with the signed-in user's token --------------------------------


def test_shell_holds_no_data_and_only_its_own_script() -> None:
    page = render_proposal_map_shell("Alken")
    facts = PageFacts(page)
    assert facts.attrs("html") == [{"lang": "nl"}]
    assert facts.texts["h1"] == SHELL_TITLE
    assert [a["src"] for a in facts.attrs("script")] == ["/static/wabp/voorstel.compare.js"]
    assert page.count("<script") == 1  # no inline script
    (main,) = facts.attrs("main")
    assert main["data-api"] == "/api"
    for url in [a["src"] for a in facts.attrs("script")] + [a["href"] for a in facts.attrs("link")]:
        assert url.startswith("data:") or (STATIC_DIR / url.removeprefix("/static/")).is_file()
    script = (STATIC_DIR / "wabp" / "voorstel.compare.js").read_text(encoding="utf-8")
    # The token /voorstel stores is the one the shell sends, and only to its own origin.
    voorstel = (STATIC_DIR / "wabp" / "voorstel.js").read_text(encoding="utf-8")
    (key,) = re.findall(r'TOKEN_KEY = "([^"]+)"', voorstel)
    assert f'TOKEN_KEY = "{key}"' in script
    assert "fetch(window.location.pathname" in script


def test_shell_escapes_the_municipality_and_refuses_other_hosts() -> None:
    assert EVIL not in render_proposal_map_shell(EVIL)
    for api_base in ("https://api.example.org", "//api.example.org", "api"):
        with pytest.raises(ValueError, match="same-origin path"):
            render_proposal_map_shell("Alken", api_base=api_base)


def test_both_layers_are_named_in_the_layer_control(page: str) -> None:
    for name in (CURRENT_LAYER, PROPOSED_LAYER):
        assert f"{json.dumps(name)}:" in page
    assert re.search(r"L\.control\.layers\(", page)


def test_base_map_is_the_one_asked_for(alken: Dataset, proposal: tuple[Report, ZoneSet]) -> None:
    # The reviewer sees the streets a boundary runs along: tiles, or the register's streets.
    with_tiles = render_proposal_map(alken, *proposal, tiles=OSM)
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in with_tiles
    assert "OpenStreetMap-bijdragers" in with_tiles
    assert 'id="wabp-street-data"' not in with_tiles

    drawn = render_proposal_map(alken, *proposal, tiles=REGISTER_STREETS)
    assert "tileLayer" not in drawn and "/static/wabp/streets.js" in drawn
    data = re.search(r'id="wabp-street-data">(.*?)</script>', drawn, re.S)
    assert data is not None
    streets = json.loads(data.group(1))
    assert {s["n"] for s in streets["streets"]} >= {"Lindestraat", "Stationsstraat"}
    assert "adressenregister" in streets["attribution"]


def test_back_link_when_given(alken: Dataset, proposal: tuple[Report, ZoneSet]) -> None:
    html = render_proposal_map(alken, *proposal, back=("/beheer/x?a=1&b=2", EVIL))
    assert f'<a href="/beheer/x?a=1&amp;b=2">{escape(EVIL)}</a>' in html
    assert EVIL not in html


def test_no_back_link_by_default(page: str) -> None:
    assert 'class="back-link"' not in page


def test_no_base_map_when_none_is_asked_for(page: str) -> None:
    assert "tileLayer" not in page
    assert 'id="wabp-street-data"' not in page and "wabp/streets.js" not in page


def test_current_zones_are_dashed_and_proposed_zones_filled(
    alken: Dataset, proposal: tuple[Report, ZoneSet], page: str
) -> None:
    _, after = proposal
    dashed = page.count('"dashArray": "7 6"')
    filled = len(re.findall(r'"fillOpacity": 0\.(2|5)\b', page))
    assert dashed == len(alken.zones.active())
    assert filled == len(after.active())


# -- the addresses that change group -------------------------------------------------------------


def test_one_marker_per_moved_address_with_a_position(
    alken: Dataset, proposal: tuple[Report, ZoneSet], page: str
) -> None:
    result, after = proposal
    changed = changed_addresses(alken, after)
    assert sum(m.count for m in result.moves) == len(changed)
    positioned = [a for a in changed if alken.register.positioned[a]]
    assert 0 < len(positioned) < len(changed)  # the data has a few unpositioned addresses
    markers = move_markers(page)
    assert len(markers) == len(positioned)
    expected = sorted(
        (round(float(alken.register.lat[a]), 6), round(float(alken.register.lon[a]), 6))
        for a in positioned
    )
    assert sorted((lat, lon) for lat, lon, _, _ in markers) == expected
    assert page.count(f'"className": "{MOVE_CLASS}"') == 1  # one loop makes them all


def test_marker_tooltips_say_street_number_and_both_groups(
    alken: Dataset, proposal: tuple[Report, ZoneSet], page: str
) -> None:
    result, _ = proposal
    names = {z.id: z.name for z in alken.zones}
    tooltips = [tooltip for _, _, _, tooltip in move_markers(page)]
    for move in result.moves:
        expected = f"van {names[move.from_zone or '']} naar {names[move.to_zone or '']}"
        mine = [t for t in tooltips if t.split(":")[0].rsplit(" ", 1)[0] == move.street]
        assert mine, move.street
        for tooltip in mine:
            assert tooltip.split(":")[0].rsplit(" ", 1)[1] in move.numbers
            assert tooltip.endswith(expected)


def test_map_is_fitted_to_the_proposed_zone_lat_first(
    proposal: tuple[Report, ZoneSet], page: str
) -> None:
    result, after = proposal
    found = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert found
    (south, west), (north, east) = json.loads(found.group(1))
    lon_min, lat_min, lon_max, lat_max = after.get(result.zone_id).geometry.bounds
    assert 50 < south < north < 52 and 5 < west < east < 6  # lat first: Belgium
    assert south == pytest.approx(lat_min, abs=1e-5)
    assert north == pytest.approx(lat_max, abs=1e-5)
    assert west == pytest.approx(lon_min, abs=1e-5)
    assert east == pytest.approx(lon_max, abs=1e-5)


# -- the text alternative ------------------------------------------------------------------------


def test_summary_lines_are_listed(proposal: tuple[Report, ZoneSet], facts: PageFacts) -> None:
    result, _ = proposal
    assert result.summary
    assert facts.summary == result.summary


def test_moves_table_has_street_numbers_count_from_and_to(
    alken: Dataset, proposal: tuple[Report, ZoneSet], facts: PageFacts
) -> None:
    result, _ = proposal
    names = {z.id: z.name for z in alken.zones}
    expected = [
        [
            f"{m.street} ({m.postcode})",
            ", ".join(m.numbers),
            str(m.count),
            names[m.from_zone or ""],
            names[m.to_zone or ""],
        ]
        for m in result.moves
    ]
    assert facts.rows == expected


def test_unpositioned_addresses_are_mentioned(
    alken: Dataset, proposal: tuple[Report, ZoneSet], page: str
) -> None:
    changed = changed_addresses(alken, proposal[1])
    unplaced = sum(1 for a in changed if not alken.register.positioned[a])
    assert f"{unplaced} van deze adressen hebben geen plaats in het adressenregister" in page


def test_no_moves_says_so(alken: Dataset) -> None:
    unchanged = strip_proposal(alken)
    unchanged["geometry"] = json.loads(
        json.dumps(shapely.geometry.mapping(alken.zones.get("sint-joris").geometry))
    )
    result, after = report(parse_proposal(unchanged, alken), alken)
    assert result.moves == []
    page = render_proposal_map(alken, result, after)
    assert "Geen enkel adres verandert van groep." in page
    assert "L.circleMarker(" not in page


def test_new_group_title(alken: Dataset) -> None:
    feature = strip_proposal(alken)
    feature["properties"] = {"name": "WABP Lindestraat"}
    feature["geometry"] = json.loads(
        json.dumps(
            shapely.geometry.mapping(
                shapely.set_precision(
                    shapely.intersection(
                        alken.zones.get("sint-joris").geometry.buffer(0.003),
                        alken.zones.get("terkoest").geometry,
                    ),
                    1e-7,
                )
            )
        )
    )
    result, after = report(parse_proposal(feature, alken), alken)
    facts = PageFacts(render_proposal_map(alken, result, after))
    assert facts.texts["h1"] == "Voorstel voor een nieuwe groep: WABP Lindestraat"


# -- escaping ------------------------------------------------------------------------------------


def test_zone_name_is_escaped_everywhere(alken: Dataset, proposal: tuple[Report, ZoneSet]) -> None:
    result, after = proposal
    evil = f"WABP {EVIL}"
    zones = [
        Zone(z.props.model_copy(update={"name": evil}), z.geometry) if z.id == result.zone_id else z
        for z in after
    ]
    page = render_proposal_map(alken, result, ZoneSet(zones))
    assert EVIL not in page
    assert escape(evil, quote=False) in page  # title, h1, legend, table
    # Tooltips and labels: HTML-escaped, then JSON-escaped into the map script.
    assert "\\u0026lt;script\\u0026gt;" in page
    assert page.count("<script") == len(PageFacts(page).attrs("script"))


def test_rendering_does_not_modify_the_inputs(
    alken: Dataset, proposal: tuple[Report, ZoneSet]
) -> None:
    result, after = proposal
    before = (result.model_dump_json(), [z.geometry.wkb for z in after])
    render_proposal_map(alken, result, after)
    assert (result.model_dump_json(), [z.geometry.wkb for z in after]) == before


# -- the local test site (also used by test_draw.py) ---------------------------------------------


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the given pages by path, and maps/static below /static; nothing else."""

    timeout = 10  # a stuck request must not hang the test run

    def __init__(self, *args: Any, pages: dict[str, bytes], **kwargs: Any) -> None:
        self.pages = pages
        super().__init__(*args, directory=str(STATIC_DIR), **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        path = urlsplit(self.path).path
        if path in self.pages:
            body = self.pages[path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path.startswith("/static/"):
            self.path = path.removeprefix("/static")
            super().do_GET()
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def local_site(pages: dict[str, str]) -> Iterator[str]:
    """Serve `pages` (path -> HTML) and maps/static on 127.0.0.1; yield the base URL."""
    handler = functools.partial(
        _SiteHandler, pages={path: html.encode("utf-8") for path, html in pages.items()}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclasses.dataclass
class BrowserLog:
    """What a page did wrong: script errors, console errors, requests to other hosts."""

    errors: list[str] = dataclasses.field(default_factory=list)
    outside: list[str] = dataclasses.field(default_factory=list)

    def watch(self, page: Any, base: str) -> None:
        """Record the errors and foreign requests of `page`."""
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(base) or r.url.startswith("data:")
                else self.outside.append(r.url)
            ),
        )


def axe_violations(page: Page) -> list[str]:
    """Return the ids of axe-core's violations on `page` (axe ships offline with the package)."""
    from axe_playwright_python.sync_playwright import Axe

    return [v["id"] for v in Axe().run(page).response["violations"]]


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("width", [1280, 360])
def test_comparison_page_in_chromium(
    alken: Dataset, proposal: tuple[Report, ZoneSet], width: int, browser: Browser
) -> None:
    result, after = proposal
    positioned = [a for a in changed_addresses(alken, after) if alken.register.positioned[a]]
    html = render_proposal_map(alken, result, after)
    log = BrowserLog()
    with local_site({"/proposals/p1/map": html}) as base:
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            log.watch(page, base)
            page.goto(f"{base}/proposals/p1/map")
            page.wait_for_function("window.L !== undefined")
            violations = axe_violations(page)
            page.locator(".wabp-map").scroll_into_view_if_needed()
            # Leaflet gives a marker outside the current view an empty path ("M0 0").
            drawn = page.locator(f"path.{MOVE_CLASS}:not([d='M0 0'])")
            drawn.first.wait_for()
            markers = page.locator(f"path.{MOVE_CLASS}").count()
            layer_names = page.locator(".leaflet-control-layers label").all_inner_texts()
            rows = page.locator("table.moves tbody tr").count()
            drawn.first.hover(force=True)
            tooltip = page.locator(".leaflet-tooltip").first.inner_text()
        finally:
            page.close()
    assert log.errors == []
    assert log.outside == []
    assert violations == []
    assert markers == len(positioned)
    # The proposal takes a strip of another group: that area is a layer of its own, in red.
    assert result.takeovers
    assert [n.strip() for n in layer_names][:5] == [
        "Gemeentegrens",
        PROPOSED_LAYER,
        CURRENT_LAYER,
        OVERLAP_LAYER,
        "Adressen die van groep veranderen",
    ]
    assert rows == len(result.moves)
    assert re.fullmatch(r".+ \S+: van WABP .+ naar WABP .+", tooltip)
