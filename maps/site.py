"""Publishing the zone map as a static site: pages, the street index, downloads and the assets.

The site works opened from disk (``file://``) and from any web server: every link is relative and no
script or stylesheet comes from another host (ECOSYSTEM.md §1.12). The whole site is first written
into a staging folder beside `out_dir`; only when every page is made are its files moved into
`out_dir`, each with an atomic rename, and pages of zones that are no longer active removed. So a
publish that fails (bad data, a full disk) leaves an existing site as it was. Layout::

    index.html          the map, the address search, the group list (or a link to it), the rules
    groepen.html        the group list: group, area, streets with house numbers, how to join
    zones/<id>.html     one page per zone: its map, streets, infobord and how to join
    regels.html         101 first, SAAR and the rules of the groups
    dekking.html        coverage for the municipality (counts only)
    zones.geojson       the active zones as stored (WGS84), for download
    infoborden.geojson  the infoborden of the active zones, for download
    zoekindex.js        the street index of the address search (maps/searchindex.py)
    assets/             Leaflet and the wabp stylesheet and scripts
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maps import fragments
from maps.assets import STATIC_DIR
from maps.display import DEFAULT_TOLERANCE_M
from maps.page import Site
from maps.public import PreparedZones, active_infoborden, prepare_zones, render_public_map
from maps.searchindex import build_search_index
from maps.sitepages import (
    dataset_rules,
    render_coverage_page,
    render_groups_page,
    render_rules_page,
)
from maps.tiles import TileLayerSpec
from maps.zonedata import script_json
from maps.zonepage import neighbours, render_zone_page
from zones import messages
from zones.coverage import coverage, zone_streets
from zones.dataset import Dataset
from zones.nextsteps import contacts_of
from zones.schema import ZoneSet
from zones.storage import InfobordFeature, zones_to_geojson

ASSET_DIR = "assets"
# What the published pages load from maps/static; the proposal editor's files stay out.
ASSETS = (
    "vendor/leaflet",
    "wabp/public-map.css",
    "wabp/streets.js",
    "wabp/zones.js",
    "wabp/lookup-core.js",
    "wabp/search.js",
)


@dataclass(frozen=True)
class PublishOptions:
    """How to publish: base tiles, the service's lookup and registration page, display tolerance.

    `join_url` is the registration page as an absolute address; without it the pages keep the
    dataset's link (``/aanmelden``), which works only on the service's own host.
    """

    tiles: TileLayerSpec | None = None
    lookup_url: str | None = None
    tolerance_m: float = DEFAULT_TOLERANCE_M
    join_url: str | None = None
    # The service's result page (``<base-url>/zoek``): where the search form goes without scripts.
    search_page: str | None = None


@dataclass
class PublishReport:
    """What was written (relative path -> bytes), how long each step took, and the outlines."""

    out_dir: Path
    prepared: PreparedZones
    search_detail: bool
    files: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def total_bytes(self) -> int:
        """Return the size of every file written, assets included."""
        return sum(self.files.values())


def publish_site(dataset: Dataset, out_dir: Path, options: PublishOptions) -> PublishReport:
    """Write the static site of a dataset's active zones into `out_dir`."""
    if (
        options.lookup_url is not None
        and fragments.safe_href(options.lookup_url, "") != options.lookup_url
    ):
        raise ValueError(f"lookup URL {options.lookup_url!r} must be an http(s) or relative link")
    if options.search_page is not None and not options.search_page.startswith(
        ("http://", "https://")
    ):
        raise ValueError(f"search page {options.search_page!r} must be an http(s) address")
    if options.join_url is not None and (
        fragments.safe_href(options.join_url, "") != options.join_url
        or not options.join_url.startswith(("http://", "https://"))
    ):
        raise ValueError(f"registration URL {options.join_url!r} must be an http(s) address")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} is a file: give a folder to publish into")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Beside out_dir, so that moving a file in is a rename on the same filesystem.
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.publish-", dir=out_dir.parent))
    try:
        report = _write_site(dataset, staging, options)
        _move_into(staging, out_dir, report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.out_dir = out_dir
    return report


def published_join_url(dataset: Dataset, options: PublishOptions) -> str | None:
    """Return the registration form a published site links to, or None when it has none.

    A relative link (the dataset's ``/aanmelden``) is dead from disk and on another host, so only
    an absolute one counts; without it the pages say how to join through the municipality.
    """
    for url in (options.join_url, dataset.meta.join_url):
        if url and url.startswith(("http://", "https://")):
            return url
    return None


def join_elsewhere(dataset: Dataset) -> str:
    """Return how to join when the site has no registration form: through the municipality."""
    contacts = contacts_of(dataset)
    return messages.STEPS["join_via_municipality"].format(
        municipality=contacts.municipality, contact=contacts.municipality_contact()
    )


def _write_site(dataset: Dataset, root: Path, options: PublishOptions) -> PublishReport:
    """Write every file of the site into `root` (the staging folder)."""
    clock = _Clock()
    prepared = prepare_zones(dataset, options.tolerance_m)
    clock.lap("outlines")
    join_url = published_join_url(dataset, options)
    site = Site(
        lookup_url=options.lookup_url, join_url=join_url, join_elsewhere=join_elsewhere(dataset)
    )
    index = build_search_index(
        dataset, prepared.zones, lambda z: site.zone_href(z.id), join_url=join_url
    )
    report = PublishReport(root, prepared, bool(index["detail"]))
    writer = _Writer(root, report)
    writer.text(site.search_index, f"window.WABP_INDEX={script_json(index)};\n")
    clock.lap("search index")

    writer.text(
        "index.html",
        render_public_map(
            dataset,
            asset_base=ASSET_DIR,
            lookup_url=options.lookup_url,
            tiles=options.tiles,
            prepared=prepared,
            site=site,
            search_action=options.search_page,
        ),
    )
    clock.lap("map page")
    writer.text(
        "groepen.html",
        render_groups_page(dataset, prepared, site=site.at("groepen.html"), asset_base=ASSET_DIR),
    )
    writer.text(
        "regels.html",
        render_rules_page(
            dataset, dataset_rules(dataset), site=site.at("regels.html"), asset_base=ASSET_DIR
        ),
    )
    writer.text(
        "dekking.html",
        render_coverage_page(
            coverage(dataset),
            municipality=dataset.meta.name,
            asset_base=ASSET_DIR,
            site=site.at("dekking.html"),
        ),
    )
    clock.lap("text pages")

    near = neighbours(prepared.zones)
    streets = zone_streets(dataset)
    boards_of: dict[str, list[InfobordFeature]] = {z.id: [] for z in prepared.zones}
    for board in active_infoborden(dataset, prepared.zones):
        boards_of[board.properties.zone_id].append(board)
    counts = dataset.table.counts()
    for zone in prepared.zones:
        path = f"zones/{zone.id}.html"
        at = site.at(path)
        writer.text(
            path,
            render_zone_page(
                dataset,
                prepared,
                zone,
                near=near[zone.id],
                streets=streets[zone.id],
                addresses=counts[zone.id],
                site=at,
                asset_base=at.href(ASSET_DIR),
                tiles=options.tiles,
                boards=boards_of[zone.id],
            ),
        )
    clock.lap("zone pages")

    writer.json("zones.geojson", zones_to_geojson(ZoneSet(prepared.zones)))
    boards = active_infoborden(dataset, prepared.zones)
    writer.json(
        "infoborden.geojson",
        {"type": "FeatureCollection", "features": [b.model_dump(mode="json") for b in boards]},
    )
    for name in ASSETS:
        source = STATIC_DIR / name
        for item in sorted(source.rglob("*")) if source.is_dir() else [source]:
            if item.is_file():
                writer.bytes(
                    f"{ASSET_DIR}/{item.relative_to(STATIC_DIR).as_posix()}", item.read_bytes()
                )
    clock.lap("downloads and assets")
    report.seconds = clock.laps
    return report


def _move_into(staging: Path, out_dir: Path, report: PublishReport) -> None:
    """Move the staged files into `out_dir` (atomic renames), then drop stale zone pages."""
    clock = _Clock()
    folders = set()
    for path in report.files:
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / path, target)
        folders.add(target.parent)
    for item in (out_dir / "zones").glob("*.html"):
        # Pages of zones that are retired or gone: a resident must not find a group that is not.
        if item.relative_to(out_dir).as_posix() not in report.files:
            item.unlink()
    # Make the renames durable; not every filesystem allows fsync on a directory.
    for folder in folders:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    clock.lap("move into place")
    report.seconds.update(clock.laps)


class _Writer:
    """Writes the files of the site into the staging folder and records their sizes."""

    def __init__(self, root: Path, report: PublishReport) -> None:
        self.root = root
        self.report = report

    def bytes(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        # The staging folder is private, so a plain write is enough; fsync before the rename in.
        with open(target, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.report.files[path] = len(data)

    def text(self, path: str, text: str) -> None:
        self.bytes(path, text.encode("utf-8"))

    def json(self, path: str, data: Any) -> None:
        self.text(
            path,
            json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n",
        )


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
