"""`wabp publish` of a dataset of several municipalities: a site each, and a page to choose one.

The dataset is the hand-made PZ Kanton Borgloon of `tests/fixtures/pz` (five municipalities, one
wijk each). The chooser is checked in Chromium: axe-clean, usable at 360 px.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from tests.police_zone import create_pz_dataset
from zones.dataset import Dataset
from zones.lookup import Locator
from zones.nextsteps import contacts_of, next_steps

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SITES = {
    "alken": ("Alken", "73001w01"),
    "borgloon": ("Tongeren-Borgloon (Borgloon)", "73111w01"),
    "heers": ("Heers", "73022w01"),
    "kortessem": ("Hasselt (Kortessem)", "71072w01"),
    "wellen": ("Wellen", "73098w01"),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pz") / "dataset"
    create_pz_dataset(root)
    out = tmp_path_factory.mktemp("site") / "site"
    env = {"WABP_DATABASE_URL": f"sqlite:///{root / 'wabp.sqlite'}"}
    result = CliRunner().invoke(cli, ["publish", str(out), "--data", str(root)], env=env)
    assert result.exit_code == 0, result.output
    assert "choose one of 5 municipalities" in result.stdout
    return out


def test_a_site_per_municipality_with_only_its_zones(published: Path) -> None:
    for folder, (_, zone_id) in SITES.items():
        zones = json.loads((published / folder / "zones.geojson").read_text(encoding="utf-8"))
        assert [f["properties"]["id"] for f in zones["features"]] == [zone_id]
        assert (published / folder / "index.html").is_file()


def test_one_municipality_alone(published: Path, tmp_path: Path) -> None:
    out = tmp_path / "heers"
    data = next(published.parent.parent.glob("pz*/dataset"))
    env = {"WABP_DATABASE_URL": f"sqlite:///{data / 'wabp.sqlite'}"}
    args = ["publish", str(out), "--municipality", "Heers", "--data", str(data)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    zones = json.loads((out / "zones.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in zones["features"]] == ["73022w01"]
    assert not (out / "index.html").read_text(encoding="utf-8").count("Kies uw gemeente")
    refused = CliRunner().invoke(
        cli, ["publish", str(out), "--municipality", "Gent", "--data", str(data)], env=env
    )
    assert refused.exit_code == 1
    assert "holds no municipality 'Gent'; it holds: Alken, Borgloon" in refused.stderr


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_chooser_links_every_municipality(
    browser: Browser, published: Path, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 740})
    try:
        page = context.new_page()
        page.goto((published / "index.html").as_uri())
        links = page.locator("main a")
        assert links.all_inner_texts() == [label for label, _ in SITES.values()]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        results = Axe().run(page)
        links.nth(1).click()
        page.wait_for_load_state("load")
        assert page.url.endswith("borgloon/index.html")
        assert "Borgloon" in page.locator("h1").inner_text()
    finally:
        context.close()
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.browser
def test_the_published_search_names_merged_municipalities_as_the_service_does(
    browser: Browser, published: Path
) -> None:
    from zones.dataset import Dataset
    from zones.lookup import Locator

    queries = ["Kerkstraat 1, Tongeren-Borgloon", "Kerkstraat 1, Borgloon", "Kerkstraat 3"]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((published / "borgloon" / "index.html").as_uri())
        page.evaluate("new Promise(done => WABP_SEARCH.load(done))")
        offline = page.evaluate("qs => qs.map(q => WABP_SEARCH.lookup(q))", queries)
    finally:
        context.close()
    data = next(published.parent.parent.glob("pz*/dataset"))
    service = [Locator(Dataset.load(data)).lookup(q) for q in queries]
    assert [a["status"] for a in offline] == ["found"] * 3
    assert [a["message"] for a in offline] == [r.message for r in service]
    assert all("3840 Tongeren-Borgloon (Borgloon)" in a["message"] for a in offline)


# What dataset.json may give per municipality, and what the whole dataset gives.
OWN_JOIN = "https://www.heers.example/buurtpreventie/aanmelden"
OWN_CONTACT = ("dienst preventie Wellen, 012 44 00 00", "https://www.wellen.example/preventie")
WIDE_JOIN = "https://pz.example/aanmelden"
ELOKET = "https://www.kortessem.example/e-loket"


@pytest.fixture(scope="module")
def own_links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the PZ dataset where Heers has its own join link, Wellen its own contact and
    Kortessem its own e-loket only."""
    root = tmp_path_factory.mktemp("own") / "dataset"
    create_pz_dataset(root)
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    meta["contact"] = "de politiezone, 011 00 00 00"
    for m in meta["municipalities"]:
        if m["name"] == "Heers":
            m["join_url"] = OWN_JOIN
        if m["name"] == "Wellen":
            m["contact"], m["contact_url"] = OWN_CONTACT
        if m["name"] == "Kortessem":
            m["contact_url"] = ELOKET  # an e-loket, no words of its own
    (root / "dataset.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return root


def _publish(data: Path, out: Path, *extra: str) -> None:
    env = {"WABP_DATABASE_URL": f"sqlite:///{data / 'wabp.sqlite'}"}
    result = CliRunner().invoke(cli, ["publish", str(out), "--data", str(data), *extra], env=env)
    assert result.exit_code == 0, result.output


def _site_text(out: Path, folder: str) -> str:
    """Return what a municipality's site says: its map page, zone page and search index."""
    zone_id = SITES[folder][1]
    return "\n".join(
        (out / folder / name).read_text(encoding="utf-8")
        for name in ("index.html", f"zones/{zone_id}.html", "zoekindex.js")
    )


def test_each_site_links_to_its_own_join_page(own_links: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _publish(own_links, out, "--register-url", WIDE_JOIN)
    heers = _site_text(out, "heers")
    assert OWN_JOIN in heers
    assert WIDE_JOIN not in heers
    for folder in ("alken", "borgloon", "kortessem", "wellen"):
        text = _site_text(out, folder)
        assert WIDE_JOIN in text, folder
        assert OWN_JOIN not in text, folder


def test_without_a_form_each_site_names_its_own_contact(own_links: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _publish(own_links, out)
    wellen = _site_text(out, "wellen")
    assert "Aanmelden gebeurt via de gemeente Wellen (dienst preventie Wellen" in wellen
    assert "de politiezone, 011 00 00 00" not in wellen
    alken = _site_text(out, "alken")
    assert "Aanmelden gebeurt via de gemeente Alken (de politiezone, 011 00 00 00" in alken
    assert OWN_CONTACT[0] not in alken
    # Heers has a form of its own: its site links there instead of pointing to a contact.
    heers = _site_text(out, "heers")
    assert OWN_JOIN in heers


def test_a_site_of_a_municipality_with_an_e_loket_only_sends_there_as_the_lookup_does(
    own_links: Path, tmp_path: Path
) -> None:
    """The words and the link name one desk: Kortessem's e-loket, never the police zone's phone."""
    out = tmp_path / "site"
    _publish(own_links, out)
    kortessem = _site_text(out, "kortessem")
    assert ELOKET in kortessem
    assert "Aanmelden gebeurt via de gemeente Kortessem (via het gemeentehuis)" in kortessem
    assert "de politiezone, 011 00 00 00" not in kortessem
    # The live lookup of the whole dataset says the same for an address in Kortessem.
    dataset = Dataset.load(own_links)
    result = Locator(dataset).lookup("Dorpsstraat 2, 3720 Kortessem")
    [step] = [s for s in next_steps(result, contacts_of(dataset, None)) if s.code != "call_police"]
    assert step.text in kortessem
    assert step.href == ELOKET
