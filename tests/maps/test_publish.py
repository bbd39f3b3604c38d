"""`wabp publish` without a browser: the files, the links between them, no other host, atomicity.

The site must work opened from disk and from any web server, so every link is checked the way a
browser resolves it (relative to the page), and no script, stylesheet or image may come from another
host. A publish that fails must leave the site that is already online as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import shapely
from shapely.geometry import shape
from typer.testing import CliRunner

import maps.site
from geo.housenumber import number_key
from maps.site import PublishOptions, PublishReport, publish_site
from maps.tiles import GRB_BASISKAART
from service.cli import app
from tests.maps.conftest import JOIN_URL, LOOKUP_URL
from zones.coverage import street_order
from zones.dataset import Dataset

# Elements whose URL the browser fetches while loading the page: never from another host.
FETCHED = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
}
TEXT_PAGES = ("index.html", "groepen.html", "regels.html", "dekking.html")


class Links(HTMLParser):
    """Collect (tag, attribute, url) of every link in a page, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            if name in ("href", "src", "action"):
                self.urls.append((tag, name, value))


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def html_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_page_and_download_is_written(site: PublishReport, alken_data: Dataset) -> None:
    active = alken_data.zones.active()
    expected = {
        *TEXT_PAGES,
        "zoekindex.js",
        "zones.geojson",
        "infoborden.geojson",
        "assets/vendor/leaflet/leaflet.js",
        "assets/vendor/leaflet/leaflet.css",
        "assets/vendor/leaflet/LICENSE",
        "assets/wabp/public-map.css",
        "assets/wabp/zones.js",
        "assets/wabp/search.js",
        *(f"zones/{z.id}.html" for z in active),
    }
    on_disk = {
        p.relative_to(site.out_dir).as_posix() for p in site.out_dir.rglob("*") if p.is_file()
    }
    assert expected <= on_disk
    assert on_disk == set(site.files)
    assert {p.name for p in (site.out_dir / "zones").iterdir()} == {f"{z.id}.html" for z in active}
    # Nothing of the staging folder stays beside the site.
    assert [p.name for p in site.out_dir.parent.iterdir() if ".publish-" in p.name] == []


def test_streets_are_read_in_house_number_order(alken_data: Dataset) -> None:
    # The street index and the zone pages read each street in this order, sorted once per publish:
    # it must be the order of sorting the street by (number, key), as they did street by street.
    register, order = alken_data.register, street_order(alken_data)
    for street in register.streets:
        expected = sorted(
            register.on_street(street.id),
            key=lambda a: (int(register.numbers[a]), number_key(register.housenumbers[a])),
        )
        assert order.street(street.id).tolist() == expected, street.name


def test_zone_download_is_the_exact_data(site: PublishReport, alken_data: Dataset) -> None:
    data = json.loads((site.out_dir / "zones.geojson").read_text(encoding="utf-8"))
    active = {z.id: z for z in alken_data.zones.active()}
    assert [f["properties"]["id"] for f in data["features"]] == list(active)
    for feature in data["features"]:
        # Display simplification is for the map only: the download keeps the stored outline.
        zone = active[feature["properties"]["id"]]
        assert shapely.equals_exact(shape(feature["geometry"]), zone.geometry, tolerance=1e-7)
        assert feature["properties"]["name"] == zone.name


def test_infobord_download_holds_the_boards_of_active_zones(
    site: PublishReport, alken_data: Dataset
) -> None:
    data = json.loads((site.out_dir / "infoborden.geojson").read_text(encoding="utf-8"))
    active = {z.id for z in alken_data.zones.active()}
    expected = [b.properties.id for b in alken_data.infoborden if b.properties.zone_id in active]
    assert [f["properties"]["id"] for f in data["features"]] == expected
    assert len(expected) > 0


def test_internal_links_resolve(site: PublishReport) -> None:
    root = site.out_dir
    ids = {page: parse(page).ids for page in html_pages(root)}
    broken = []
    for page in html_pages(root):
        for tag, _attr, url in parse(page).urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # checked by the external-link test
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or root.resolve() not in target.parents:
                broken.append((page.relative_to(root).as_posix(), tag, url))
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in ids[target]:
                broken.append((page.relative_to(root).as_posix(), tag, url))
    assert broken == []


def test_zone_links_in_the_search_index_resolve(site: PublishReport, alken_data: Dataset) -> None:
    text = (site.out_dir / "zoekindex.js").read_text(encoding="utf-8")
    index = json.loads(text.removeprefix("window.WABP_INDEX=").rstrip().rstrip(";"))
    hrefs = [z[3] for z in index["z"]]
    assert len(hrefs) == len(alken_data.zones.active())
    # The index is read by index.html, so its links are relative to the site's root.
    assert all((site.out_dir / href).is_file() for href in hrefs)


def test_stylesheet_urls_resolve_and_stay_local(site: PublishReport) -> None:
    for css in site.out_dir.rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.S)
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
            if url.startswith(("data:", "#")):  # inline data; IE's "#default#VML" behaviour
                continue
            assert not urlsplit(url).scheme and not url.startswith("//"), (css, url)
            assert (css.parent / url).is_file(), (css, url)
        assert "@import" not in text


def test_no_other_host_is_loaded(site: PublishReport) -> None:
    external = []
    for page in html_pages(site.out_dir):
        for tag, attr, url in parse(page).urls:
            remote = bool(urlsplit(url).scheme in ("http", "https") or url.startswith("//"))
            if remote and ((tag, attr) in FETCHED or tag not in ("a", "form")):
                external.append((page.name, tag, url))
            elif remote:
                # Links a resident may follow: only the configured service.
                assert url in (JOIN_URL, LOOKUP_URL), (page.name, url)
        text = page.read_text(encoding="utf-8")
        assert re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", text) is None
    assert external == []


def test_map_page_size(site: PublishReport, record_property: pytest.RecordProperty) -> None:
    page = site.out_dir / "index.html"
    loaded = [
        (page.parent / url).resolve()
        for tag, attr, url in parse(page).urls
        if (tag, attr) in FETCHED and not url.startswith("data:")
    ]
    first_load = page.stat().st_size + sum(p.stat().st_size for p in loaded)
    record_property("index_html_bytes", page.stat().st_size)
    record_property("first_load_bytes", first_load)
    assert page.stat().st_size < 300 * 1024
    # Everything the browser fetches on opening, Leaflet included; the street index comes on focus.
    assert first_load < 300 * 1024


def test_base_map_is_a_setting(alken_data: Dataset, tmp_path: Path) -> None:
    report = publish_site(alken_data, tmp_path / "grb", PublishOptions(tiles=GRB_BASISKAART))
    with_tiles = (report.out_dir / "index.html").read_text(encoding="utf-8")
    zone_page = (report.out_dir / "zones/heiligenborn.html").read_text(encoding="utf-8")
    assert "geo.api.vlaanderen.be/GRB/wmts" in with_tiles
    assert "Digitaal Vlaanderen" in with_tiles
    assert "geo.api.vlaanderen.be/GRB/wmts" in zone_page
    without = publish_site(alken_data, tmp_path / "none", PublishOptions())
    assert "L.tileLayer" not in (without.out_dir / "index.html").read_text(encoding="utf-8")


def test_without_a_form_the_site_says_how_to_join(alken_data: Dataset, tmp_path: Path) -> None:
    """No registration address given: no dead "/aanmelden" link, the municipality's contact."""
    report = publish_site(alken_data, tmp_path / "site", PublishOptions())
    hrefs = [url for page in html_pages(report.out_dir) for _, _, url in parse(page).urls]
    assert not [url for url in hrefs if "aanmelden" in url]
    groups = (report.out_dir / "groepen.html").read_text(encoding="utf-8")
    assert "Aanmelden gebeurt via de gemeente Alken (dienst preventie" in groups
    index = (report.out_dir / "zoekindex.js").read_text(encoding="utf-8")
    assert '"join_url":null' in index


def test_stale_zone_pages_go_and_other_files_stay(alken_data: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "zones").mkdir(parents=True)
    (out / "zones" / "opgeheven.html").write_text("oude zone", encoding="utf-8")
    (out / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    publish_site(alken_data, out, PublishOptions())
    assert not (out / "zones" / "opgeheven.html").exists()
    assert (out / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\n"
    assert (out / "zones" / "heiligenborn.html").is_file()


def test_published_files_are_readable_by_a_web_server(site: PublishReport) -> None:
    modes = {p.stat().st_mode & 0o044 for p in site.out_dir.rglob("*") if p.is_file()}
    assert modes == {0o044}


@pytest.mark.parametrize(
    "fail_at",
    [
        pytest.param("zone page", id="rendering-fails"),
        pytest.param("write", id="disk-full-while-writing"),
    ],
)
def test_failed_publish_leaves_the_site_intact(
    alken_data: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    out = tmp_path / "site"
    publish_site(alken_data, out, PublishOptions())
    before = snapshot(out)
    if fail_at == "zone page":
        calls = []
        real = maps.site.render_zone_page

        def render(*args: object, **kwargs: object) -> str:
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("zone page failed")
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(maps.site, "render_zone_page", render)
    else:
        written = []
        real_bytes = maps.site._Writer.bytes

        def write(self: maps.site._Writer, path: str, data: bytes) -> None:
            written.append(path)
            if len(written) == 5:
                raise OSError(28, "No space left on device")
            real_bytes(self, path, data)

        monkeypatch.setattr(maps.site._Writer, "bytes", write)
    # A different site than the one online: its tiles change every map page.
    with pytest.raises((RuntimeError, OSError)):
        publish_site(alken_data, out, PublishOptions(tiles=GRB_BASISKAART))
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_publish_into_a_file_is_refused(alken_data: Dataset, tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="give a folder"):
        publish_site(alken_data, target, PublishOptions())
    assert target.read_text(encoding="utf-8") == "not a folder"


# -- the command ----------------------------------------------------------------------------------
def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data_dir(alken_data: Dataset, tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(
        alken_data.paths.root, root, ignore=shutil.ignore_patterns(".cache", "*.sqlite")
    )
    return root


def test_cli_publishes_the_site(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WABP_BASE_URL", "WABP_REGISTER_URL", "WABP_TILES", "WABP_TILES_ATTRIBUTION"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "site"
    code, stdout, stderr = run(
        "publish", str(out), "--data", str(data_dir), "--base-url", "https://wabp.alken.be"
    )
    assert code == 0, stderr
    assert (out / "index.html").is_file()
    assert re.search(r"index\.html\s+\d+ KB", stdout)
    page = (out / "index.html").read_text(encoding="utf-8")
    # The base URL gives the search its second opinion, the form without scripts its result
    # page, and the join links their address.
    assert 'data-lookup="https://wabp.alken.be/api/lookup"' in page
    assert 'action="https://wabp.alken.be/zoek"' in page
    assert 'href="https://wabp.alken.be/aanmelden"' in (out / "groepen.html").read_text("utf-8")
    assert "warning" not in stderr


def test_cli_warns_when_the_join_link_is_local(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WABP_BASE_URL", "WABP_REGISTER_URL"):
        monkeypatch.delenv(name, raising=False)
    code, _, stderr = run("publish", str(tmp_path / "site"), "--data", str(data_dir))
    assert code == 0
    assert "--register-url" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--tiles", "mapbox"], "use none, osm, grb, cartoweb", id="unknown-tiles"),
        pytest.param(
            ["--tiles", "https://t.example/{z}/{x}/{y}.png"], "--attribution", id="no-credit"
        ),
        pytest.param(["--register-url", "javascript:alert(1)"], "http(s)", id="bad-register"),
        pytest.param(["--lookup-url", "javascript:x"], "lookup URL", id="bad-lookup"),
        pytest.param(["--base-url", "wabp.alken.be"], "--base-url", id="bad-base"),
    ],
)
def test_cli_bad_options_say_what_to_fix(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "site"
    code, _, stderr = run("publish", str(out), "--data", str(data_dir), *args)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not out.exists()
