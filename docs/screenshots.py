"""Make the README's screenshots: a resident's answer, the map after a search, and ``/voorstel``.

Run ``.venv/bin/python docs/screenshots.py`` after a page changed. It serves a copy of ``data/``
with uvicorn on 127.0.0.1 (its own SQLite file and a coordinator account made for the run), drives
Debian's Chromium through Playwright at 360 x 740 CSS pixels (a phone; device scale 2) and writes
PNG files into ``docs/``:

- ``resultaat.png``: the answer to "Heiligenbornstraat 12" on ``/``, with what to do next;
- ``kaart.png``: the map after that search, zoomed to the address;
- ``voorstel.png``: ``/voorstel`` signed in as the coordinator of WABP Sint-Joris, one zoom step
  into the zone: the register's addresses as dots in their zone's colour, the edit handles.

The base map is ``--tiles``, by default ``register``: the streets drawn from the register's own
address points (``maps/basemap.py``), which needs no network, so the pictures are the same in a
sandbox, in CI and on a laptop. ``--tiles osm`` (the service's default) makes them with
OpenStreetMap where its tile host is reachable; the script says how many tile requests failed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from maps.pdf import CHROMIUM  # noqa: E402
from service.app import create_app  # noqa: E402
from service.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.users import create_user  # noqa: E402
from tests.service.served import served  # noqa: E402

PHONE = {"width": 360, "height": 740}
ADDRESS = "Heiligenbornstraat 12"
COORDINATOR = ("coordinator@example.be", "screenshots-" + "x" * 12, "sint-joris")


def main() -> int:
    """Serve the data, take the three screenshots, report failed tile requests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--tiles", default="register", help="register, none, osm, grb, cartoweb or an XYZ URL"
    )
    parser.add_argument("--attribution", default=None, help="credit of a tile URL")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        shutil.copytree(args.data, root, ignore=shutil.ignore_patterns("*.sqlite*", ".wabp-secret"))
        database = f"sqlite:///{Path(tmp) / 'wabp.sqlite'}"
        _add_coordinator(database)
        settings = Settings(  # type: ignore[call-arg]
            data_dir=root,
            database_url=database,
            tiles=args.tiles,
            tiles_attribution=args.attribution,
            _env_file=None,
        )
        with served(create_app(settings)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM))
            context = browser.new_context(viewport=PHONE, device_scale_factor=2)
            failed: list[str] = []
            context.on("requestfailed", lambda r: failed.append(r.url))
            page = context.new_page()
            _result_and_map(page, url, args.out)
            _voorstel(page, url, args.out)
            browser.close()
    tiles = [u for u in failed if not u.startswith(url)]
    if tiles:
        print(f"{len(tiles)} tile request(s) failed (no network?): the base map is missing.")
    for name in ("resultaat.png", "kaart.png", "voorstel.png"):
        print(f"wrote {args.out / name}")
    return 0


def _add_coordinator(database: str) -> None:
    engine = make_engine(database)
    upgrade(engine)
    email, password, zone = COORDINATOR
    with make_sessionmaker(engine)() as session:
        create_user(session, email, password, "coordinator", zone_id=zone)
        session.commit()
    engine.dispose()


def _result_and_map(page: Page, url: str, out: Path) -> None:
    page.goto(url + "/")
    # Locators, not wait_for_function: the pages' Content-Security-Policy forbids its eval.
    page.locator(".wabp-zone-label").first.wait_for(state="attached")
    page.fill("#wabp-q", ADDRESS)
    page.click("#wabp-search button[type=submit]")
    page.locator("#wabp-result[data-status=found]").wait_for()
    section = page.locator("section.search")
    section.scroll_into_view_if_needed()
    section.screenshot(path=out / "resultaat.png")
    frame = page.locator(".map-frame")
    frame.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # tiles, when they can load
    frame.screenshot(path=out / "kaart.png")


def _voorstel(page: Page, url: str, out: Path) -> None:
    email, password, _ = COORDINATOR
    page.goto(url + "/voorstel")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    with page.expect_response("**/api/addresses?bbox=*"):
        page.get_by_role("button", name="Aanmelden").click()
    page.locator(".wabp-zone-name").first.wait_for()
    panel = page.locator("#editor-map")
    panel.scroll_into_view_if_needed()
    # One step closer than the whole zone: the streets between the houses show.
    with page.expect_response("**/api/addresses?bbox=*"):
        page.get_by_role("button", name="Inzoomen").click()
    page.locator("#inhoud:not([data-moving])").wait_for(state="attached")
    page.wait_for_timeout(1500)
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=out / "voorstel.png")


if __name__ == "__main__":
    raise SystemExit(main())
