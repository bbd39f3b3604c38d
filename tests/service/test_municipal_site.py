"""The served site of a dataset of several municipalities, and the rules each applicant accepts.

The dataset is the hand-made PZ Kanton Borgloon of `tests/fixtures/pz` (five municipalities, one
wijk each); Heers has a rules text of its own (``dataset.json``), the others the dataset's. The
served pages follow the published layout: the chooser at ``/``, a site per municipality under its
folder's path; the shipped single-municipality Alken site keeps its paths (the other page tests).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maps.pdf import CHROMIUM
from service import csrf
from service.app import create_app
from service.db import make_engine, make_sessionmaker
from service.routes.signup import form_versions
from service.tables import Consent
from tests.police_zone import create_pz_dataset
from tests.service.apps import app_settings, application
from tests.service.served import served
from tests.service.test_signup import Html, answers
from zones.rules import load_group_rules

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HEERS_RULES = "# Reglement Heers\n\nIn Heers melden we eerst aan de wijkagent.\n"
HEERS_ADDRESS = "Kerkstraat 2, 3870 Heers"
# Folder (path), label on the chooser and the one wijk of each municipality.
SITES = {
    "alken": ("Alken", "73001w01"),
    "borgloon": ("Tongeren-Borgloon (Borgloon)", "73111w01"),
    "heers": ("Heers", "73022w01"),
    "kortessem": ("Hasselt (Kortessem)", "71072w01"),
    "wellen": ("Wellen", "73098w01"),
}


@pytest.fixture(scope="module")
def pz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pz") / "kanton-borgloon"
    create_pz_dataset(root, rules=True)
    (root / "reglement.heers.md").write_text(HEERS_RULES, encoding="utf-8")
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    next(m for m in meta["municipalities"] if m["name"] == "Heers")["rules"] = "reglement.heers.md"
    (root / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wabp.sqlite'}"


@pytest.fixture(scope="module")
def web(pz_root: Path, db_url: str) -> Iterator[TestClient]:
    settings = app_settings(pz_root, db_url, registration_rate_limit=1000)
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_top_is_the_municipality_chooser(web: TestClient) -> None:
    page = Html(web.get("/").text)
    links = [(a["href"]) for a in page.find("a") if a.get("href", "").count("/") == 2]
    assert links == [f"/{folder}/" for folder in SITES]
    text = web.get("/").text
    for label, _ in SITES.values():
        assert label in text
    # The top has no pages of its own but the chooser: they lead to it.
    moved = web.get("/groepen", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (307, "/")
    # Other pages typed with a trailing slash still find the page, as before.
    moved = web.get("/aanmelden/", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (307, "/aanmelden")


def test_each_municipality_has_its_own_pages(web: TestClient) -> None:
    for folder, (_, zone_id) in SITES.items():
        home = web.get(f"/{folder}/")
        assert home.status_code == 200, folder
        # The search asks the lookup of the whole dataset; zone links stay in this site.
        assert 'data-lookup="/api/lookup"' in home.text
        assert f'data-zones="/{folder}/zones/"' in home.text
        groups = web.get(f"/{folder}/groepen").text
        assert f'href="/{folder}/groepen"' in groups  # the menu is the municipality's
        others = [z for f, (_, z) in SITES.items() if f != folder]
        assert f"/{folder}/zones/{zone_id}" in groups
        assert not any(z in groups for z in others)
        zones = web.get(f"/{folder}/zones.geojson").json()
        assert [f["properties"]["id"] for f in zones["features"]] == [zone_id]
        assert web.get(f"/{folder}/zones/{zone_id}").status_code == 200
        assert web.get(f"/{folder}/dekking").status_code == 200
    assert "eerst aan de wijkagent" in web.get("/heers/regels").text
    assert "eerst aan de wijkagent" not in web.get("/alken/regels").text
    assert web.get("/gent/groepen").status_code == 404
    assert web.get("/heers/zones/nergens").status_code == 404


def test_a_zone_page_moves_to_its_municipality(web: TestClient) -> None:
    for path in ("/zones/73022w01", "/alken/zones/73022w01"):
        moved = web.get(path, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (307, "/heers/zones/73022w01")


def test_the_lookup_answers_across_municipalities(web: TestClient) -> None:
    for address, zone_id in ((HEERS_ADDRESS, "73022w01"), ("Molenstraat 2, Alken", "73001w01")):
        answer = web.get("/api/lookup", params={"q": address}).json()
        assert [z["id"] for z in answer["zones"]] == [zone_id]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian chromium at {CHROMIUM}")
def test_a_municipality_s_group_list_at_360_px(
    browser: Browser, pz_root: Path, tmp_path: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    settings = app_settings(pz_root, f"sqlite:///{tmp_path / 'browser.sqlite'}")
    with served(create_app(settings)) as url:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        try:
            page = context.new_page()
            page.goto(url + "/")
            page.get_by_role("link", name="Heers").click()
            page.wait_for_load_state("load")
            page.get_by_role("navigation").get_by_role("link", name="Groepen en straten").click()
            page.wait_for_load_state("load")
            assert page.url == url + "/heers/groepen"
            page.screenshot(path=str(tmp_path / "heers-groepen-360.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            results = Axe().run(page)
        finally:
            context.close()
    assert results.violations_count == 0, results.generate_report()


def test_the_form_shows_the_rules_of_the_address_s_municipality(web: TestClient) -> None:
    heers = web.get("/aanmelden", params={"adres": HEERS_ADDRESS})
    assert heers.status_code == 200
    assert "eerst aan de wijkagent" in heers.text
    alken = web.get("/aanmelden", params={"adres": "Molenstraat 2, Alken"})
    for page in (web.get("/aanmelden"), alken):
        assert page.status_code == 200
        assert "eerst aan de wijkagent" not in page.text


def test_the_api_gives_and_records_the_municipality_s_rules(web: TestClient, db_url: str) -> None:
    heers = web.get("/api/reglement", params={"adres": HEERS_ADDRESS}).json()
    assert heers["rules"] == HEERS_RULES
    assert "eerst aan de wijkagent" not in web.get("/api/reglement").json()["rules"]
    r = web.post(
        "/api/registrations", json=application(address=HEERS_ADDRESS, phone="0470 11 22 44")
    )
    assert r.status_code == 201, r.text
    assert _last_rules_consent(db_url) == hashlib.sha256(HEERS_RULES.encode()).hexdigest()


def _last_rules_consent(db_url: str) -> str | None:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(
                select(Consent.text_sha256)
                .where(Consent.purpose == "rules")
                .order_by(Consent.id.desc())
                .limit(1)
            )
    finally:
        engine.dispose()


def test_the_consent_recorded_is_to_the_text_shown(
    web: TestClient, pz_root: Path, db_url: str
) -> None:
    generic = load_group_rules(pz_root)
    heers = load_group_rules(pz_root, "reglement.heers.md")
    assert heers.rules.version == generic.rules.version  # only the hash tells them apart
    # Ticked under the dataset's rules, then the address turns out to be in Heers: shown Heers'.
    token = Html(web.get("/aanmelden").text).one("input", name=csrf.FIELD)["value"]
    data = answers(address=HEERS_ADDRESS, versions=form_versions(generic), phone="0470 11 22 33")
    again = web.post("/aanmelden", data={csrf.FIELD: token, **data})
    assert again.status_code == 422
    assert "eerst aan de wijkagent" in again.text
    shown = Html(again.text).one("input", name="versions")["value"]
    assert shown == form_versions(heers)
    token = Html(again.text).one("input", name=csrf.FIELD)["value"]
    done = web.post(
        "/aanmelden", data={csrf.FIELD: token, **data, "versions": shown}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert _last_rules_consent(db_url) == hashlib.sha256(HEERS_RULES.encode()).hexdigest()
