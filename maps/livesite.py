"""The published site's pages as the service serves them: same pages, same menu, live search.

`wabp publish` writes the site as files; the service serves the same pages under its own paths
(``/groepen``, ``/regels``, ``/dekking``, ``/zones/<id>``), where the search asks ``/api/lookup``
and, without JavaScript, the form leads to ``/zoek``: the answer rendered on the server. Pages are
rendered on first request and kept for the generation (a new generation gets a new `LiveSite`).

A dataset of several municipalities is served as `wabp publish` writes it: ``/`` is the page to
choose a municipality, and each municipality's site is under its folder's path (``/alken/``,
``/alken/groepen``, ``/alken/zones/<id>``), built from the same one-municipality dataset as its
published site (`zones.importing.write_municipality_dataset`). The search still asks the lookup of
the whole dataset; a zone's page asked for elsewhere moves to its municipality's site.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from maps.draw import render_draw_page
from maps.page import Site, render_template
from maps.public import PreparedZones, active_infoborden, prepare_zones, render_public_map
from maps.site import join_elsewhere
from maps.sitepages import (
    chooser_entries,
    dataset_rules,
    municipality_folder,
    render_chooser_page,
    render_coverage_page,
    render_groups_page,
    render_rules_page,
)
from maps.tiles import TileLayerSpec
from maps.zonepage import neighbours, render_zone_page
from zones.coverage import coverage, zone_streets
from zones.dataset import Dataset
from zones.importing import write_municipality_dataset
from zones.lookup import Locator
from zones.municipal import zone_municipalities
from zones.results import LookupResult
from zones.rules import GroupRules

ASSET_BASE = "/static"
LOOKUP_URL = "/api/lookup"
SEARCH_PAGE = "/zoek"

# Dutch titles and explanations of the site's error pages (service/errors.py picks the status).
# Only these two can reach a page of the site: the pages that count requests or use the database
# (the registration pages, /beheer) answer 429 and 503 with pages of their own, the API with JSON.
ERRORS = {
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet (meer). Misschien is de link oud."),
    500: (
        "Er ging iets mis",
        "Er ging bij ons iets mis. Probeer het later opnieuw; blijft het misgaan, neem dan "
        "contact op met de gemeente.",
    ),
}


@dataclass(frozen=True)
class Moved:
    """A page that lives elsewhere in the served site (answered with a redirect)."""

    location: str


class LiveSite:
    """The pages of one generation, rendered once each on first request."""

    def __init__(
        self,
        dataset: Dataset,
        locator: Locator,
        tiles: TileLayerSpec | None,
        *,
        prefix: str = "",
        rules_of: tuple[Dataset, str | None] | None = None,
    ) -> None:
        """Prepare the pages of `dataset` (nothing is rendered yet); `prefix`: a municipality's.

        `rules_of`: the dataset and municipality whose rules the registration form shows for this
        site (a municipality's site: the whole dataset's files); by default `dataset`'s own.
        """
        self.dataset = dataset
        self.locator = locator
        self.tiles = tiles
        names = dataset.municipalities.names
        self._rules_of = rules_of or (dataset, names[0] if len(names) == 1 else None)
        self._rules_page: tuple[GroupRules | None, str] | None = None
        self.site = Site(
            lookup_url=LOOKUP_URL,
            live=True,
            join_elsewhere=join_elsewhere(dataset),
            prefix=prefix,
        )
        self._pages: dict[str, str] = {}
        self._lock = threading.Lock()
        self._sites: dict[str, LiveSite] = {}
        self._sites_lock = threading.Lock()
        # The one-municipality datasets of the municipalities' sites; removed with this object
        # (a site is replaced by each generation and each published text).
        self._workdir: Path | None = None

    # -- a dataset of several municipalities ----------------------------------------------------
    @cached_property
    def folders(self) -> dict[str, str]:
        """Return the municipalities' path segments and names; empty for one municipality."""
        names = self.dataset.municipalities.names
        return {municipality_folder(n): n for n in names} if len(names) > 1 else {}

    @cached_property
    def zone_owners(self) -> dict[str, str | None]:
        """Return the municipality whose site shows each zone (as published)."""
        ds = self.dataset
        return zone_municipalities(ds.zones, ds.register, ds.table)

    def municipality(self, folder: str) -> LiveSite | None:
        """Return the site of a municipality by its path segment (None: the dataset holds none)."""
        name = self.folders.get(folder)
        if name is None:
            return None
        found = self._sites.get(folder)
        if found is not None:
            return found
        with self._sites_lock:
            if folder not in self._sites:
                if self._workdir is None:
                    self._workdir = Path(tempfile.mkdtemp(prefix="wabp-live-"))
                    weakref.finalize(self, shutil.rmtree, self._workdir, ignore_errors=True)
                root = self._workdir / folder
                one = Dataset.load(write_municipality_dataset(self.dataset, name, root))
                # Its search asks the lookup of the whole dataset (a resident may be next door).
                self._sites[folder] = LiveSite(
                    one,
                    self.locator,
                    self.tiles,
                    prefix=f"{folder}/",
                    rules_of=(self.dataset, name),
                )
            return self._sites[folder]

    def serve(self, path: str, folder: str | None = None) -> str | Moved | None:
        """Return a page of the site (`folder`: of that municipality's), where it moved, or None.

        In a dataset of several municipalities only ``/`` (the chooser) is at the top: a zone's
        page moves to its municipality's site, the other pages to the chooser.
        """
        site = self if folder is None else self.municipality(folder)
        found = site.page(path) if site is not None else None
        if found is not None or not self.folders or site is None:
            return found
        zone_id = path.removeprefix("zones/").removesuffix(".html")
        owner = self.zone_owners.get(zone_id) if path.startswith("zones/") else None
        if owner is not None and municipality_folder(owner) != folder:
            return Moved(f"/{municipality_folder(owner)}/zones/{zone_id}")
        if folder is None and path in ("groepen.html", "regels.html", "dekking.html"):
            return Moved("/")
        return None

    @cached_property
    def prepared(self) -> PreparedZones:
        """Return the active zones with their outlines and colours (shared by every page)."""
        return prepare_zones(self.dataset)

    def page(self, path: str) -> str | None:
        """Return a page by its site file (``groepen.html``, ``zones/<id>.html``), or None."""
        if path == "regels.html" and not self.folders:
            return self.rules_page()
        found = self._pages.get(path)
        if found is not None:
            return found
        render = self._renderer(path)
        if render is None:
            return None
        with self._lock:
            if path not in self._pages:
                self._pages[path] = render()
            return self._pages[path]

    def _renderer(self, path: str) -> Callable[[], str] | None:
        at = self.site.at(path)
        ds = self.dataset
        if self.folders:
            # Several municipalities: the top of the site is only the page to choose one.
            if path != "index.html":
                return None
            return lambda: render_chooser_page(
                ds.meta.name,
                chooser_entries(ds, lambda name: f"/{municipality_folder(name)}/"),
                asset_base=ASSET_BASE,
            )
        if path == "index.html":
            return lambda: render_public_map(
                ds,
                asset_base=ASSET_BASE,
                lookup_url=LOOKUP_URL,
                tiles=self.tiles,
                prepared=self.prepared,
                site=at,
            )
        if path == "groepen.html":
            return lambda: render_groups_page(ds, self.prepared, site=at, asset_base=ASSET_BASE)
        if path == "dekking.html":
            return lambda: render_coverage_page(
                coverage(ds), municipality=ds.meta.name, asset_base=ASSET_BASE, site=at
            )
        zone_id = path.removeprefix("zones/").removesuffix(".html")
        if path.startswith("zones/") and zone_id in self.prepared.by_id:
            return lambda: self._zone_page(zone_id, at)
        return None

    def rules_page(self) -> str:
        """Return the rules page with the texts the registration form shows now.

        The municipality edits its rules files (and their version) while the service runs; the
        form reads them again when they change (`zones.rules`), so this page must follow, or it
        would show other words than residents accept. Rendered again only after such a change:
        `load_group_rules` gives the same object until a file changes.
        """
        source, municipality = self._rules_of
        texts = dataset_rules(source, municipality)
        with self._lock:
            if self._rules_page is None or self._rules_page[0] is not texts:
                at = self.site.at("regels.html")
                html = render_rules_page(self.dataset, texts, site=at, asset_base=ASSET_BASE)
                self._rules_page = (texts, html)
            return self._rules_page[1]

    def _zone_page(self, zone_id: str, at: Site) -> str:
        prepared = self.prepared
        zone = prepared.by_id[zone_id]
        return render_zone_page(
            self.dataset,
            prepared,
            zone,
            near=neighbours(prepared.zones)[zone_id],
            streets=zone_streets(self.dataset).get(zone_id, []),
            addresses=self.dataset.table.counts()[zone_id],
            site=at,
            asset_base=ASSET_BASE,
            tiles=self.tiles,
            boards=[
                b
                for b in active_infoborden(self.dataset, prepared.zones)
                if b.properties.zone_id == zone_id
            ],
        )

    def draw_page(self) -> str:
        """Return the ``/voorstel`` page (the same for everyone: the user is known in the browser)."""
        found = self._pages.get("voorstel")
        if found is None:
            found = render_draw_page(self.dataset, tiles=self.tiles)
            self._pages["voorstel"] = found
        return found

    def result_page(self, query: str | None) -> str:
        """Return the answer to a typed address as a page: the search without JavaScript."""
        result = self.locator.lookup(query) if query and query.strip() else None
        return render_result(result, query or "", self.dataset.meta.name, self.site.at("zoek"))

    def error_page(self, status: int) -> str:
        """Return the Dutch page of an HTTP error status, with the site's menu."""
        return render_error(status, self.dataset.meta.name, self.site.at("fout"))


def render_result(result: LookupResult | None, query: str, municipality: str, site: Site) -> str:
    """Return the result page of a lookup (`result` None: only the form)."""
    zone_links = {z: site.zone_href(z) for z in ([z.id for z in result.zones] if result else [])}
    return render_template(
        "result.html.j2",
        title=f"Zoekresultaat - Zones buurtpreventie {municipality}",
        heading="Bij welke groep hoort uw adres?",
        municipality=municipality,
        asset_base=ASSET_BASE,
        site=site,
        result=result,
        query=query,
        zone_links=zone_links,
        search_page=SEARCH_PAGE,
    )


def render_error(status: int, municipality: str, site: Site | None) -> str:
    """Return the Dutch error page of an HTTP status."""
    title, text = ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[404])
    return render_template(
        "error.html.j2",
        title=f"{title} - Zones buurtpreventie {municipality}",
        heading=title,
        municipality=municipality,
        asset_base=ASSET_BASE,
        site=site,
        text=text,
        status=status,
    )
