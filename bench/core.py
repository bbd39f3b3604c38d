"""Issue 14's targets on all of Flanders, in one run: what a change costs, and the HTTP path.

Run ``.venv/bin/python bench/core.py [--skip-http]``. Needs ``../shared/data`` (or
``WABP_SHARED_DATA``) and the Flanders dataset that ``bench/scale.py`` builds into
``bench/results/flanders/`` (built here the same way when absent). Without the data it prints
``skipped: ../shared/data absent`` and exits 0.

Sections (each a figure and its target):

- bulk assignment (`zones.assign.assign`, near-boundary flags included) against
  ``geopandas.sjoin(points, zones, predicate="within")`` of the same positioned points and zones,
  both on prebuilt inputs: ratio sjoin / assign >= 1;
- a proposal report for one wijk (`zones.proposals.report`: the wijk grown by 30 m into its
  neighbours) <= 200 ms, with the new zone side alone (`Dataset.with_zones`) given too;
- an approval until the new generation is served (commit the generation, `ServiceState.follow`)
  on a copy of the dataset: <= 2 s; when its map and exported files are ready is given too;
- cold load (`Dataset.load(cache=False)` in a fresh process) <= 10 s, and the cached load;
- HTTP lookups per second with ``wrk`` (16 connections, 10 s) against wabp and against the
  minimal FastAPI app of ``bench/_apps.py``, served by uvicorn with 1 and with 2 workers, same
  queries: ratio >= 0.9.

Writes ``bench/results/core.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from lookup import free_port
from scale import DATASET_DIR, RESULTS_DIR, dataset_complete, missing_data, run_child

ROOT = Path(__file__).resolve().parent.parent
RESULTS = RESULTS_DIR / "core.json"
TARGETS = {
    "assign_vs_sjoin": 1.0,
    "report_ms": 200.0,
    "approval_s": 2.0,
    "cold_load_s": 10.0,
    "http_ratio": 0.9,
}
SEED = 14
WRK_SECONDS = 10
WRK_CONNECTIONS = 16
SERVE_TIMEOUT_S = 300.0


def timed(fn: Any) -> tuple[float, Any]:
    """Return (seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_assign(ds: Any) -> dict[str, Any]:
    """Time the bulk assignment against geopandas.sjoin of the same points and zones."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from zones.assign import assign

    reg = ds.register
    idx = np.flatnonzero(reg.positioned)
    points = gpd.GeoDataFrame(geometry=shapely.points(reg.x[idx], reg.y[idx]), crs=31370)
    active = ds.zones.active()
    zones = gpd.GeoDataFrame(
        {"id": [z.id for z in active]}, geometry=[z.geometry_l72 for z in active], crs=31370
    )
    sjoin_s, joined = timed(lambda: gpd.sjoin(points, zones, predicate="within"))
    assign_s, (table, _) = timed(lambda: assign(ds.zones, reg))
    return {
        "points": len(idx),
        "zones": len(active),
        "sjoin_s": sjoin_s,
        "sjoin_pairs": len(joined),
        "assign_s": assign_s,
        "assign_in_a_zone": int(np.count_nonzero(table.primary >= 0)),
        "near_flags": len(table.near),
        "ratio": sjoin_s / assign_s,
    }


def one_wijk_proposal(ds: Any, rng: random.Random) -> Any:
    """Return a proposal that grows one wijk by 30 m into its neighbours."""
    from zones.proposals import Proposal
    from zones.schema import to_l72, to_wgs84

    zone = rng.choice(ds.zones.active())
    grown = to_wgs84(to_l72(zone.geometry).buffer(30.0))
    return Proposal(zone_id=zone.id, name=None, area=None, note=None, geometry=grown)


def bench_report(ds: Any) -> dict[str, Any]:
    """Time a proposal report for one wijk (three wijken, the median) in a warm process.

    The first report of a process also builds the register side's lazy indexes (the point grid,
    the street boxes), which a served instance builds in the background at start-up: it is timed
    apart (`first_report_ms`, another wijk), then the three are.
    """
    from zones.proposals import apply, report

    rng = random.Random(SEED)
    warm_up = one_wijk_proposal(ds, random.Random(SEED - 1))
    first_s, _ = timed(lambda: report(warm_up, ds))
    reports, sides = [], []
    for _ in range(3):
        proposal = one_wijk_proposal(ds, rng)
        seconds, (result, _) = timed(lambda p=proposal: report(p, ds))
        reports.append(seconds)
        zones, _ = apply(proposal, ds)
        sides.append(timed(lambda z=zones: ds.with_zones(z))[0])
    return {
        "report_ms": statistics.median(reports) * 1000,
        "first_report_ms": first_s * 1000,
        "reports_ms": [s * 1000 for s in reports],
        "with_zones_ms": statistics.median(sides) * 1000,
        "moves_last": len(result.moves),
    }


def valid_proposal(ds: Any, seed: int) -> tuple[Any, Any]:
    """Return a one-wijk proposal whose report is valid (approvable), and the zones it gives."""
    from zones.proposals import report

    rng = random.Random(seed)
    for _ in range(20):
        proposal = one_wijk_proposal(ds, rng)
        result, zones = report(proposal, ds)
        if result.valid:
            return proposal, zones
    raise RuntimeError("no valid one-wijk proposal in 20 tries")


def bench_approval(ds: Any) -> dict[str, Any]:
    """Add a one-wijk generation on a copy of the dataset and serve it, as an approval does.

    The approval's transaction adds the generation (`ZoneGenerations.add`, SQLite here, as a delta
    of the current one), then the instance follows it (`ServiceState.follow`: the new zone side from
    the current one and its locator), what `service.proposals.workflow` runs. The public map and
    the exported files are made afterwards in the background: `published_s` says when they were.
    `stored_chars` gives the size of each generation's row (the first whole, the next a delta).
    """
    from sqlalchemy import text

    from service.db import make_engine, make_sessionmaker, upgrade
    from service.generations import ZoneGenerations
    from service.state import ServiceState
    from zones.dataset import Dataset, DatasetPaths

    tmp = Path(tempfile.mkdtemp(prefix="wabp-bench-core-"))
    try:
        root = tmp / "flanders"
        root.mkdir()
        for item in DATASET_DIR.iterdir():
            if item.name not in (".cache", "zones.geojson", "generations") and item.is_file():
                (root / item.name).symlink_to(item)
        shutil.copy(DATASET_DIR / "zones.geojson", root / "zones.geojson")
        engine = make_engine(f"sqlite:///{tmp / 'bench.sqlite'}")
        upgrade(engine)
        generations = ZoneGenerations(make_sessionmaker(engine), root)
        first = generations.reconcile()
        copy = Dataset(DatasetPaths(root), ds.meta, ds.base, ds.side)
        state_s, state = timed(lambda: ServiceState(copy, generations, first))
        _, zones = valid_proposal(ds, SEED + 1)
        t0 = time.perf_counter()
        with generations.sessions() as session:
            generations.add(
                session, zones, expected=first, parent=copy.zones, note="bench", source="bench"
            )
            session.commit()
        committed = time.perf_counter() - t0
        state.follow()
        served = time.perf_counter() - t0
        # Off the critical path: the public map and the exported files, made by the publisher.
        settled = state.settle(timeout=600)
        published = time.perf_counter() - t0
        state.close()
        with engine.connect() as connection:
            sizes = connection.execute(
                text(
                    "SELECT number, length(coalesce(geojson, '')) + length(coalesce(delta, '')) "
                    "FROM zone_generations ORDER BY number"
                )
            ).all()
        engine.dispose()
        return {
            "commit_s": committed,
            "approval_s": served,
            "published_s": published if settled else None,
            "how": "ZoneGenerations.add + commit, ServiceState.follow (zone side, locator); "
            "then, in the background, the public map and the exported files",
            "service_state_first_s": state_s,
            "stored_chars": {str(n): size for n, size in sizes},
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> float:
    """Wait until `url` answers 200; return the seconds it took."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < SERVE_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not answer")


def wrk(url: str, script: Path) -> float:
    """Return requests per second of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def wrk_script(ds: Any, path: Path) -> None:
    """Write a wrk script cycling through 200 register addresses typed as 'street n, postcode'."""
    import urllib.parse

    reg = ds.register
    rng = random.Random(SEED)
    paths = []
    for a in rng.sample(range(len(reg)), 200):
        street = reg.streets[int(reg.street_of[a])]
        q = f"{street.name} {reg.housenumbers[a]}, {street.postcode}"
        paths.append("/api/lookup?q=" + urllib.parse.quote(q))
    body = ",".join(json.dumps(p) for p in paths)
    path.write_text(
        f"local paths = {{{body}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n",
        encoding="utf-8",
    )


# Both apps served by several workers the way `wabp serve --workers N` serves (service.workers).
SERVE_WORKERS = (
    "from service.workers import serve_workers; "
    "raise SystemExit(serve_workers('_apps:{app}', {n}, '127.0.0.1', {port}, log_level='warning'))"
)


def bench_http(ds: Any) -> dict[str, Any]:
    """Requests/s of wabp and of the baseline app, with 1 and 2 workers, served as wabp serves."""
    uvicorn = Path(sys.executable).parent / "uvicorn"
    script = RESULTS_DIR / "core_wrk.lua"
    wrk_script(ds, script)
    env = {
        **os.environ,
        "WABP_DATA_DIR": str(DATASET_DIR),
        "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "bench"))),
    }
    out: dict[str, Any] = {}
    for workers in (1, 2):
        for app in ("baseline", "wabp"):
            port = free_port()
            if workers == 1:  # as `wabp serve` runs one process: uvicorn's own
                cmd = [str(uvicorn), "--factory", f"_apps:{app}", "--port", str(port)]
                cmd += ["--log-level", "warning"]
            else:  # as `wabp serve --workers N` does: each worker its own socket
                cmd = [sys.executable, "-c", SERVE_WORKERS.format(app=app, n=workers, port=port)]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
            try:
                started = wait_up(f"http://127.0.0.1:{port}/healthz", proc)
                # One worker answering says nothing of the other, loading in parallel: give it
                # as long again as the first took, and warm both up before measuring.
                time.sleep(0.5 + (started if workers > 1 else 0.0))
                url = f"http://127.0.0.1:{port}"
                wrk(url, script)  # warm-up
                out[f"{app}_{workers}"] = wrk(url, script)
            finally:
                proc.terminate()
                proc.wait(timeout=60)
        out[f"ratio_{workers}"] = out[f"wabp_{workers}"] / out[f"baseline_{workers}"]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every section, print the figures and verdicts, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--skip-http", action="store_true", help="leave out the wrk section")
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold load")
    args = parser.parse_args(argv)
    if missing_data() is not None:
        print("skipped: ../shared/data absent")
        return 0
    if not dataset_complete():
        print("building the Flanders dataset (bench/scale.py's init) ...", flush=True)
        run_child("init")
    from zones.dataset import Dataset

    fig: dict[str, Any] = {}
    fig["load_warm_s"], ds = timed(lambda: Dataset.load(DATASET_DIR))
    print(f"loaded Flanders (cached) in {fig['load_warm_s']:.1f} s", flush=True)
    fig["assign"] = bench_assign(ds)
    print(f"assign {fig['assign']}", flush=True)
    fig["report"] = bench_report(ds)
    print(f"report {fig['report']}", flush=True)
    fig["approval"] = bench_approval(ds)
    print(f"approval {fig['approval']}", flush=True)
    if not args.skip_cold:
        fig["cold"] = run_child("cold")
        print(f"cold load {fig['cold'].get('seconds')}", flush=True)
    if not args.skip_http:
        fig["http"] = bench_http(ds)
        print(f"http {fig['http']}", flush=True)
    checks = [
        ("bulk assignment vs sjoin (x)", fig["assign"]["ratio"], TARGETS["assign_vs_sjoin"], True),
        ("proposal report, one wijk (ms)", fig["report"]["report_ms"], TARGETS["report_ms"], False),
        ("approval until served (s)", fig["approval"]["approval_s"], TARGETS["approval_s"], False),
    ]
    if "cold" in fig:
        checks.append(("cold load (s)", fig["cold"]["seconds"], TARGETS["cold_load_s"], False))
    if "http" in fig:
        for w in (1, 2):
            checks.append(
                (f"HTTP vs FastAPI, {w} worker(s) (x)", fig["http"][f"ratio_{w}"], 0.9, True)
            )
    print()
    for name, value, target, higher in checks:
        ok = value >= target if higher else value <= target
        print(
            f"{'PASS' if ok else 'FAIL'}  {name:<36} {value:10.2f}  target {'>=' if higher else '<='} {target}"
        )
    RESULTS.write_text(json.dumps(fig, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
