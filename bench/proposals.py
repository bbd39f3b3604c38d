"""How long the impact report of a boundary proposal takes when it covers a whole wijk of Asse.

Run ``.venv/bin/python bench/proposals.py [--runs 15]``. Needs ``../shared/data``: the Asse/Zellik
dataset is built from it the way ``wabp init`` does (``bench/_datasets.py``: 11,891 addresses, the
16 wijken of Asse as zones). Without it the script says so and exits 0.

The proposal: the wijk with the most addresses is merged whole into the neighbour it shares the
longest border with (``properties.zone_id`` = the neighbour, geometry = the union of both), as a
coordinator could draw it. Timed per run with ``perf_counter``, after one warm-up run:

- **report**: ``parse_proposal`` + ``report`` (what ``POST /api/proposals`` computes), median and
  p95 (nearest rank) over ``--runs``;
- **baseline, same run**: ``Locator.lookup_many`` of every address of that wijk typed as a resident
  would ("Street 12, 1730 Asse"), the work of looking up every household the proposal moves; timed
  before and after the reports, so a busy machine shows as DRIFT (more than 1.2x apart);
- **tiny proposal**: the neighbour's own shape plus a 30 m bump at one corner, for the fixed cost
  of any report (rebuilding the address table of the proposed zone set);
- **comparison map**: ``render_proposal_map`` of the merge (``GET /proposals/{id}/map``), median.

Results go to ``bench/results/proposals.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shapely
from _datasets import asse_dataset_dir, shared_data_missing

from maps.compare import render_proposal_map
from zones.dataset import Dataset
from zones.lookup import Locator
from zones.proposals import parse_proposal, report
from zones.schema import Zone, to_wgs84

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "proposals.json"
DRIFT = 1.2
SLOW_REPORT_S = 2.0


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Return the seconds of `runs` calls of `fn`, after one warm-up call."""
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def p95(samples: list[float]) -> float:
    """Return the 95th percentile by nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def merge_pair(dataset: Dataset) -> tuple[Zone, Zone]:
    """Return the wijk with the most addresses and its neighbour with the longest shared border."""
    counts = dataset.table.counts()
    zones = dataset.zones.active()
    wijk = max(zones, key=lambda z: counts.get(z.id, 0))
    border = wijk.geometry_l72.boundary

    def shared(z: Zone) -> float:
        return float(shapely.intersection(border, z.geometry_l72.buffer(1.0)).length)

    neighbour = max((z for z in zones if z.id != wijk.id), key=shared)
    return wijk, neighbour


def feature(zone_id: str, geometry: shapely.Geometry) -> dict[str, Any]:
    """Return a proposal Feature as a request body has it (lists, 7 decimals)."""
    shape = shapely.set_precision(geometry, 1e-7)
    body: dict[str, Any] = json.loads(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"zone_id": zone_id},
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    )
    return body


def wijk_queries(dataset: Dataset, zone_id: str) -> list[str]:
    """Return every address of a zone typed as a resident would."""
    reg = dataset.register
    out = []
    for a in range(len(reg)):
        if zone_id in dataset.table.zones_of(a):
            street = reg.streets[int(reg.street_of[a])]
            out.append(
                f"{street.name} {reg.housenumbers[a]}, {street.postcode} {street.municipality}"
            )
    return out


def summary(samples: list[float]) -> dict[str, float]:
    """Return median and p95 in seconds."""
    return {"median_s": statistics.median(samples), "p95_s": p95(samples), "runs": len(samples)}


def run(dataset: Dataset, runs: int) -> dict[str, Any]:
    """Time the reports and the baselines on one dataset; return the figures."""
    wijk, neighbour = merge_pair(dataset)
    merge = feature(neighbour.id, shapely.union(wijk.geometry, neighbour.geometry))
    corner = shapely.Point(neighbour.geometry_l72.exterior.coords[0]).buffer(30.0)
    tiny = feature(neighbour.id, shapely.union(neighbour.geometry, to_wgs84(corner)))
    queries = wijk_queries(dataset, wijk.id)
    locator = Locator(dataset)

    merged, after = report(parse_proposal(merge, dataset), dataset)
    moved = sum(m.count for m in merged.moves)
    print(
        f"proposal: {neighbour.name} takes in all of {wijk.name} "
        f"({len(queries):,} addresses; the report moves {moved:,}, in {len(merged.moves)} street rows)"
    )

    baseline_before = timed(lambda: locator.lookup_many(queries), max(3, runs // 3))
    merge_s = timed(lambda: report(parse_proposal(merge, dataset), dataset), runs)
    tiny_s = timed(lambda: report(parse_proposal(tiny, dataset), dataset), runs)
    map_s = timed(lambda: render_proposal_map(dataset, merged, after), max(3, runs // 3))
    baseline_after = timed(lambda: locator.lookup_many(queries), max(3, runs // 3))

    base = statistics.median(baseline_before)
    after_base = statistics.median(baseline_after)
    drifted = max(base, after_base) > DRIFT * min(base, after_base)
    figures = {
        "wijk": wijk.id,
        "neighbour": neighbour.id,
        "wijk_addresses": len(queries),
        "moved_addresses": moved,
        "report_whole_wijk": summary(merge_s),
        "report_tiny": summary(tiny_s),
        "comparison_map": summary(map_s),
        "baseline_lookup_wijk": {
            "what": f"Locator.lookup_many of the {len(queries):,} addresses of the wijk",
            "median_s_before": base,
            "median_s_after": after_base,
            "drifted": drifted,
        },
    }
    median = statistics.median(merge_s)
    rows = [
        ("report, whole wijk", merge_s),
        ("report, tiny proposal", tiny_s),
        ("comparison map (render)", map_s),
        (f"baseline: lookup of {len(queries):,} addresses", baseline_before),
    ]
    print(f"{'':34} {'median':>9} {'p95':>9} {'x baseline':>11}")
    for label, samples in rows:
        print(
            f"{label:34} {statistics.median(samples):8.3f}s {p95(samples):8.3f}s "
            f"{statistics.median(samples) / base:10.2f}x"
        )
    print(
        f"whole-wijk report = {median / statistics.median(tiny_s):.2f}x the tiny proposal's; "
        f"baseline before/after {base:.3f}s/{after_base:.3f}s"
        + (" DRIFT: machine busy, ratios unreliable" if drifted else "")
    )
    if median > SLOW_REPORT_S:
        print(f"SLOW: the whole-wijk report takes more than {SLOW_REPORT_S:.0f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the proposal benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (default 15)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)

    missing = shared_data_missing()
    if missing:
        print(f"skipped: ../shared/data not found ({missing}); this benchmark needs Asse/Zellik")
        return 0
    print("wabp proposal benchmark: building Asse/Zellik (1730, 1731) from ../shared/data")
    with asse_dataset_dir() as root:
        dataset = Dataset.load(root)
        figures = run(dataset, args.runs)
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "dataset": f"Asse/Zellik, {len(dataset.register):,} addresses, {len(dataset.zones)} wijken",
        **figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
