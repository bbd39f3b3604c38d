"""Measure ``wabp publish``: page sizes and publish time for Alken and for all 2,767 Flemish wijken.

Run ``.venv/bin/python bench/publish.py``. Alken is the shipped ``data/``; the Flanders dataset
(CRAB 2014, 2.65 M addresses, the 2,767 ggw7 wijken as zones) **needs ``../shared/data``** and is
built once into ``bench/results/flanders/`` by the code of ``bench/scale.py`` (the ``wabp init`` code
path) and reused. Without ``../shared/data`` only Alken runs, and the script says so.

Baseline, measured in the same run on the same zones: folium's naive map (``folium.Map`` plus one
``folium.GeoJson`` of the zone file with a tooltip, CDN scripts, saved to HTML). Every size and time
is also given as a ratio to it, so runs on different machines compare. Targets (issue 6): Alken's
map page under 300 KB, also counting everything it loads on opening; all Flemish wijken under 3 MB.
Writes ``bench/results/publish.json``; exit 1 when a section failed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "publish.json"
KB = 1024
TARGETS = {"Alken": 300 * KB, "Flanders": 3 * KB * KB}

Figures = dict[str, Any]


class _Fetched(HTMLParser):
    """The local scripts and stylesheets a page loads when it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet" and found.get("href"):
            self.urls.append(str(found["href"]))


def first_load_bytes(page: Path) -> int:
    """Return the bytes of a page plus the scripts and stylesheets it loads on opening."""
    parser = _Fetched()
    parser.feed(page.read_text(encoding="utf-8"))
    return page.stat().st_size + sum((page.parent / u).stat().st_size for u in parser.urls)


def naive_folium(dataset: Any, out: Path) -> Figures:
    """Time and size folium's naive map of the same zones: the baseline."""
    import folium

    t0 = time.perf_counter()
    features = json.loads(dataset.paths.zones.read_text(encoding="utf-8"))
    m = folium.Map(location=[50.9, 4.4], zoom_start=9, tiles=None)
    folium.GeoJson(features, tooltip=folium.GeoJsonTooltip(fields=["name"])).add_to(m)
    m.save(str(out))
    return {"seconds": time.perf_counter() - t0, "bytes": out.stat().st_size}


def publish(dataset: Any, out: Path) -> Figures:
    """Publish the site of a dataset and return its sizes and times."""
    from maps.site import PublishOptions, publish_site

    t0 = time.perf_counter()
    report = publish_site(
        dataset, out, PublishOptions(join_url="https://wabp.example.be/aanmelden")
    )
    seconds = time.perf_counter() - t0
    zone_pages = [v for k, v in report.files.items() if k.startswith("zones/")]
    display = report.prepared.display
    return {
        "seconds": seconds,
        "steps_s": {k: round(v, 2) for k, v in report.seconds.items()},
        "index_html": report.files["index.html"],
        "first_load": first_load_bytes(out / "index.html"),
        "search_index": report.files["zoekindex.js"],
        "groups_page": report.files["groepen.html"],
        "zone_pages": len(zone_pages),
        "zone_page_max": max(zone_pages, default=0),
        "site_total": report.total_bytes(),
        "vertices": display.vertices,
        "exact_vertices": display.exact_vertices,
        "zones_kept_finer": len(display.refined()),
        "addresses_checked": display.checked_addresses,
        "unresolved": display.unresolved,
    }


def bench_dataset(name: str, load: Any, figures: Figures) -> None:
    """Load a dataset, publish it and the baseline into a temporary folder, record the figures."""
    out: Figures = {}
    figures[name] = out
    tmp = Path(tempfile.mkdtemp(prefix=f"wabp-bench-publish-{name.lower()}-"))
    try:
        t0 = time.perf_counter()
        dataset = load(tmp)
        out["load_s"] = time.perf_counter() - t0
        out["zones"] = len(dataset.zones.active())
        out["addresses"] = len(dataset.register)
        out["baseline"] = naive_folium(dataset, tmp / "folium.html")
        out.update(publish(dataset, tmp / "site"))
        out["target_bytes"] = TARGETS[name]
        measured = out["first_load"] if name == "Alken" else out["index_html"]
        out["pass"] = out["index_html"] < TARGETS[name] and measured < TARGETS[name]
    except Exception as exc:  # a benchmark reports a broken section and goes on
        out.clear()
        out["failed"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_alken(tmp: Path) -> Any:
    """Load the shipped dataset from a copy (its cache stays out of the repository)."""
    from zones.dataset import Dataset

    root = tmp / "alken"
    shutil.copytree(
        ROOT / "data", root, ignore=shutil.ignore_patterns(".cache", "*.sqlite*", ".wabp-secret*")
    )
    return Dataset.load(root)


def load_flanders(tmp: Path) -> Any:
    """Load the Flanders dataset, building it first (once) the way bench/scale.py does."""
    import scale

    from zones.dataset import Dataset

    if not scale.dataset_complete():
        scale.bench_init({})
    return Dataset.load(scale.DATASET_DIR)


def kb(n: int) -> str:
    return f"{n / KB:,.0f} KB"


def print_table(figures: Figures) -> None:
    """Print one block per dataset: sizes and times, each with its ratio to folium's naive map."""
    for name in ("Alken", "Flanders"):
        fig = figures.get(name)
        if fig is None:
            continue
        if "failed" in fig or "skipped" in fig:
            print(f"{name}: {'FAILED ' + fig['failed'] if 'failed' in fig else 'skipped'}")
            continue
        base = fig["baseline"]
        verdict = "PASS" if fig["pass"] else "FAIL"
        print(f"{name}: {fig['zones']:,} zones, {fig['addresses']:,} addresses")
        print(f"  folium naive map (baseline)  {kb(base['bytes']):>10}  {base['seconds']:7.2f} s")
        print(
            f"  map page index.html          {kb(fig['index_html']):>10}"
            f"  = {fig['index_html'] / base['bytes']:.3f} x baseline"
            f"   target < {kb(fig['target_bytes'])}: {verdict}"
        )
        print(f"  opening the map (+ assets)   {kb(fig['first_load']):>10}")
        print(f"  street index (on first use)  {kb(fig['search_index']):>10}")
        print(f"  group list                   {kb(fig['groups_page']):>10}")
        print(
            f"  {fig['zone_pages']:,} zone pages, largest   {kb(fig['zone_page_max']):>10}"
            f"   whole site {kb(fig['site_total'])}"
        )
        print(
            f"  publish time                 {fig['seconds']:8.1f} s"
            f"  = {fig['seconds'] / base['seconds']:.1f} x baseline"
            f"   (dataset load {fig['load_s']:.1f} s, not included)"
        )
        print(f"  steps: {', '.join(f'{k} {v:.1f} s' for k, v in fig['steps_s'].items())}")
        print(
            f"  outlines: {fig['vertices']:,} of {fig['exact_vertices']:,} vertices, "
            f"{fig['zones_kept_finer']} zones kept finer, {fig['unresolved']} unresolved, "
            f"{fig['addresses_checked']:,} addresses checked"
        )


def main(argv: list[str] | None = None) -> int:
    """Publish Alken and (with ../shared/data) Flanders; print the table; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    parser.add_argument("--alken-only", action="store_true", help="skip the Flanders dataset")
    args = parser.parse_args(argv)

    import scale

    figures: Figures = {}
    bench_dataset("Alken", load_alken, figures)
    missing = scale.missing_data()
    if args.alken_only:
        figures["Flanders"] = {"skipped": "--alken-only"}
    elif missing:
        print(f"Flanders skipped: {missing} (only Alken is run)")
        figures["Flanders"] = {"skipped": missing}
    else:
        bench_dataset("Flanders", load_flanders, figures)
    print_table(figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 1 if any("failed" in f for f in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
