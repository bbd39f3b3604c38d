"""The proposal pages in Debian chromium against the real service (uvicorn on 127.0.0.1).

A coordinator signs in on ``/voorstel``, draws a new shape for their zone, submits it and reads the
report; the link in the report opens ``/proposals/{id}/map``, whose shell loads the comparison map
with the tab's token. The map must show the current and the proposed boundaries and one highlighted
marker per moved address with a position. The service runs on a temporary copy of ``data/``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from maps.compare import CURRENT_LAYER, MOVE_CLASS, MOVES_LAYER, PROPOSED_LAYER
from service.app import create_app
from tests.maps.conftest import needs_chromium
from tests.maps.test_compare import BrowserLog, axe_violations
from tests.service.test_proposal_story import (
    PASSWORD,
    USERS,
    copy_dataset,
    settings_for,
    strip_feature,
)
from zones.dataset import Dataset

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FloatRect, Page

pytestmark = [pytest.mark.browser, needs_chromium]


@dataclass
class Service:
    """The service running in a thread, and the dataset copy it serves."""

    url: str
    root: Path

    def token(self, who: str) -> dict[str, str]:
        """Sign `who` in through the API and return the bearer header."""
        answer = httpx.post(
            f"{self.url}/api/auth/token",
            data={"username": USERS[who][0], "password": PASSWORD},
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = copy_dataset(tmp_path_factory.mktemp("browser") / "data")
    app = create_app(settings_for(root))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held until uvicorn takes the socket over
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield Service(f"http://127.0.0.1:{sock.getsockname()[1]}", root)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def open_page(browser: Browser, service: Service, path: str) -> tuple[Page, BrowserLog]:
    """Open `path` in a fresh context (no token), watching for errors and foreign requests."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log = BrowserLog()
    log.watch(page, service.url)
    page.goto(f"{service.url}{path}")
    return page, log


def sign_in(page: Page, who: str) -> None:
    """Fill in and send the sign-in form of the page."""
    page.get_by_label("E-mailadres").fill(USERS[who][0])
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def positioned_moves(dataset: Dataset, report: dict[str, Any]) -> int:
    """Count the moved addresses of a report that have a register position (one marker each)."""
    reg = dataset.register
    count = 0
    for move in report["moves"]:
        streets = [
            s.id for s in reg.streets if (s.name, s.postcode) == (move["street"], move["postcode"])
        ]
        for number in set(move["numbers"]):
            count += sum(1 for sid in streets for a in reg.find(sid, number) if reg.positioned[a])
    return count


def draw_square(page: Page) -> None:
    """Clear the editor and draw a square over the middle of the map with the page's own buttons."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Alles wissen").click()
    # Drawing is on once the page offers to close the shape; under load the view may still be
    # moving to the own zone: a click then lands elsewhere than meant, so wait until it stands.
    finish = page.get_by_role("button", name="Vorm afsluiten")
    finish.wait_for()
    editor = page.locator("#editor-map")
    editor.scroll_into_view_if_needed()  # mouse clicks land only inside the viewport
    page.locator("#inhoud:not([data-moving])").wait_for(state="attached")
    box = editor.bounding_box()
    assert box is not None
    # Geoman's corners of the shape being drawn, and the marker that follows the pointer: a corner
    # goes where that marker is, so a click before it caught up (a busy machine) would land on the
    # previous corner, and a click on the last corner closes the shape.
    corners = editor.locator(".leaflet-marker-pane .marker-icon:not(.cursor-marker)")
    cursor = editor.locator(".leaflet-marker-pane .cursor-marker")
    for i, (fx, fy) in enumerate(((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7))):
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        # Chromium may hold a pointer move until the next input, and a map still settling moves
        # the marker away from a pointer that stands still: move again (a pixel to and fro, as a
        # hand does) until the marker is under the pointer, and only then click.
        for attempt in range(600):
            page.mouse.move(x + attempt % 2, y)
            page.mouse.move(x + 1, y)
            if _centre_near(cursor.bounding_box(), x, y):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"timed out: the cursor does not follow the pointer to corner {i}")
        page.mouse.click(x + 1, y)
        expect(corners).to_have_count(i + 1)  # each click placed its corner before the next
    finish.click()
    page.get_by_text("Uw vorm bestaat uit één deel.").wait_for()


def _centre_near(box: FloatRect | None, x: float, y: float) -> bool:
    # Within the page's snapping distance (15 px): the cursor snaps to a zone's edge nearby.
    if box is None:
        return False
    return (
        abs(box["x"] + box["width"] / 2 - x) <= 16 and abs(box["y"] + box["height"] / 2 - y) <= 16
    )


def test_coordinator_draws_submits_and_sees_the_comparison_map(
    browser: Browser, service: Service
) -> None:
    page, log = open_page(browser, service, "/voorstel")
    try:
        with page.expect_response("**/api/addresses?bbox=*") as points:
            sign_in(page, "sint-joris")
        assert page.get_by_label("Mijn zone: WABP Sint-Joris").is_checked()
        page.locator(".wabp-zone-name").nth(8).wait_for()  # the nine current zones are named
        # The register's addresses are drawn in their zone's colour: the houses a line takes.
        drawn = points.value.json()
        assert len(drawn["points"]) > 1000 and "sint-joris" in drawn["zones"]
        draw_square(page)
        page.get_by_label("Toelichting voor de gemeente (niet verplicht)").fill("Een test.")
        page.get_by_role("button", name="Voorstel indienen").click()
        page.get_by_text("Uw voorstel is ingediend").wait_for()
        shown = page.locator("#result li").all_inner_texts()

        # What the page showed is the report the service stored.
        proposal = httpx.get(  # the newest first
            f"{service.url}/api/proposals", headers=service.token("sint-joris")
        ).json()[0]
        assert proposal["zone_id"] == "sint-joris" and proposal["note"] == "Een test."
        assert shown == proposal["report"]["summary"] and proposal["report"]["moves"]
        # The coordinator's own proposals, with their status.
        page.locator("#mine-list li", has_text="ingediend").first.wait_for()

        # The link opens the map in the same tab: the shell loads it with the tab's token.
        page.get_by_role("link", name="Bekijk het voorstel op de kaart").click()
        page.wait_for_url(f"**/proposals/{proposal['id']}/map")
        page.locator(f"path.{MOVE_CLASS}").first.wait_for(state="attached")
        layers = [
            t.strip() for t in page.locator(".leaflet-control-layers label").all_inner_texts()
        ]
        markers = page.locator(f"path.{MOVE_CLASS}").count()
        dashed = page.locator("path[stroke-dasharray='7 6']").count()
        rows = page.locator("table.moves tbody tr").count()
        title = page.title()
        page.get_by_role("link", name="Terug naar de voorstelpagina").click()
        page.wait_for_url(f"{service.url}/voorstel")
    finally:
        page.context.close()

    dataset = Dataset.load(service.root)
    assert {CURRENT_LAYER, PROPOSED_LAYER, MOVES_LAYER} <= set(layers)
    assert dashed == len(dataset.zones.active())  # every current boundary
    assert markers == positioned_moves(dataset, proposal["report"]) > 0
    assert rows == len(proposal["report"]["moves"])
    assert title.startswith("Voorstel voor WABP Sint-Joris")
    assert log.errors == []
    assert log.outside == []


def test_map_link_asks_to_sign_in_and_hides_others_proposals(
    browser: Browser, service: Service
) -> None:
    submitted = httpx.post(
        f"{service.url}/api/proposals",
        json=strip_feature(Dataset.load(service.root)),
        headers=service.token("sint-joris"),
    )
    assert submitted.status_code == 201, submitted.text
    pid = submitted.json()["id"]

    page, log = open_page(browser, service, f"/proposals/{pid}/map")
    try:
        sign_in(page, "terkoest")
        page.get_by_text("Dit voorstel bestaat niet, of u mag het niet bekijken.").wait_for()
        assert page.locator(f"path.{MOVE_CLASS}").count() == 0
    finally:
        page.context.close()
    # The 404 is logged by Chromium as a failed resource load; nothing else may be.
    assert [e for e in log.errors if "404" not in e] == []

    page, log = open_page(browser, service, f"/proposals/{pid}/map")
    try:
        sign_in(page, "municipality")
        page.locator(f"path.{MOVE_CLASS}").first.wait_for(state="attached")
        assert page.locator("table.moves tbody tr").count() > 0
    finally:
        page.context.close()
    assert log.errors == []


def test_street_mode_shows_the_house_numbers(browser: Browser, service: Service) -> None:
    page, log = open_page(browser, service, "/voorstel")
    try:
        sign_in(page, "sint-joris")
        page.get_by_label("Straten kiezen", exact=False).check()
        page.get_by_label("Zoek een straat").fill("Stationsstr")
        choice = page.locator("#street-suggestions button", has_text="Stationsstraat").first
        choice.wait_for()
        assert "(nrs. 1-" in choice.inner_text()
        choice.click()
        chosen = page.locator("#streets-chosen li").first
        assert "In het register: nrs. 1-" in chosen.inner_text()
        chosen.locator("select").select_option("range")
        chosen.get_by_label("Huisnummer van in Stationsstraat").fill("1")
        chosen.get_by_label("Huisnummer tot in Stationsstraat").fill("28")
        assert chosen.get_by_label("Huisnummer tot in Stationsstraat").is_visible()
    finally:
        page.context.close()
    assert log.errors == []


# The canvas pixels of each exact colour: a dot's inside is its fill, whatever its anti-aliasing.
_CANVAS_COLOURS = """canvas => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = {};
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] !== 255) continue;
        const hex = "#" + [0, 1, 2].map(k => data[i + k].toString(16).padStart(2, "0")).join("");
        seen[hex] = (seen[hex] || 0) + 1;
    }
    return seen;
}"""


def test_coordinator_on_a_phone_sees_houses_numbers_and_own_proposals(
    browser: Browser, service: Service
) -> None:
    """Item 4 of /voorstel at 360 px: dots in zone colours, the numbers per group, the own list."""
    # An earlier proposal of this coordinator, rejected with a reason by the municipality.
    earlier = httpx.post(
        f"{service.url}/api/proposals",
        json={
            "type": "Feature",
            "properties": {"zone_id": "terkoest"},
            "geometry": None,
            "units": {"streets": [{"name": "Stationsstraat", "postcode": "3570"}]},
        },
        headers=service.token("terkoest"),
    )
    assert earlier.status_code == 201, earlier.text
    refused = httpx.post(
        f"{service.url}/api/proposals/{earlier.json()['id']}/reject",
        json={"reason": "Bespreek dit eerst met Sint-Joris."},
        headers=service.token("municipality"),
    )
    assert refused.status_code == 200, refused.text
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    log = BrowserLog()
    log.watch(page, service.url)
    page.goto(f"{service.url}/voorstel")
    try:
        with page.expect_response("**/api/addresses?bbox=*") as points:
            sign_in(page, "terkoest")
        page.locator(".wabp-zone-name").first.wait_for()
        # The register's addresses, drawn on a canvas in their zone's fill colour.
        colours = json.loads(page.locator("#inhoud").get_attribute("data-colours") or "{}")
        answer = points.value.json()
        per_zone = Counter(answer["zones"][p[2]] for p in answer["points"] if p[2] >= 0)
        canvas = page.locator("#editor-map .leaflet-overlay-pane canvas").first
        canvas.wait_for(state="attached")
        painted = canvas.evaluate(_CANVAS_COLOURS)

        page.get_by_label("Straten kiezen", exact=False).check()
        page.get_by_label("Zoek een straat").fill("Stationsstr")
        choice = page.locator("#street-suggestions button", has_text="Stationsstraat").first
        suggestion = choice.inner_text()
        choice.click()
        chosen = page.locator("#streets-chosen li").first
        now = chosen.locator(".street-now span")
        now.nth(1).wait_for()
        groups_now = now.all_inner_texts()
        register_numbers = chosen.locator(".street-known").first.inner_text()
        chosen.locator("select").select_option("range")
        chosen.get_by_label("Huisnummer van in Stationsstraat").fill("1")
        chosen.get_by_label("Huisnummer tot in Stationsstraat").fill("28")
        wide = page.evaluate("document.documentElement.scrollWidth")
        violations = axe_violations(page)

        page.get_by_role("button", name="Voorstel indienen").click()
        page.get_by_text("Uw voorstel is ingediend").wait_for()
        page.locator("#mine-list li").nth(1).wait_for()  # the new one first, then the earlier
        listed = page.locator("#mine-list li").all_inner_texts()
    finally:
        page.context.close()

    # The own zone fills the view; neighbours show at its edges (small dots: a few whole pixels
    # of fill each, fewer where dots overlap, so only "some" is asked of them).
    assert per_zone["terkoest"] > 100 and painted.get(colours["terkoest"][0], 0) > 100
    assert sum(1 for zone in per_zone if painted.get(colours[zone][0], 0) > 0) >= 3
    assert "(nrs. 1-188)" in suggestion and register_numbers == "In het register: nrs. 1-188"
    # The same numbers per group as the lookup of the street, in the group lists' notation.
    street = httpx.get(
        f"{service.url}/api/lookup", params={"q": "Stationsstraat, 3570 Alken"}
    ).json()
    parts = {p["numbers"]: [z["name"] for z in p["zones"]] for p in street["street_parts"]}
    assert len(groups_now) == len(parts) >= 2
    for line in groups_now:
        label, numbers = line.split(": nrs. ")
        assert label == (
            "Nu bij " + " en ".join(parts[numbers]) if parts[numbers] else "Nu in geen groep"
        )
    assert wide <= 360
    assert violations == []
    newest, rejected = listed
    assert newest.startswith("WABP Terkoest, ingediend op ") and ": ingediend " in newest
    assert ": afgewezen (Bespreek dit eerst met Sint-Joris.)" in rejected
    assert log.errors == []
    assert log.outside == []
