"""Benchmark the address lookup, the service start-up and the map build on a dataset (default: Alken).

Run ``.venv/bin/python bench/lookup.py`` (or ``make bench``). Prints a table and writes the figures as
JSON to ``bench/results/lookup.json``. Needs only the shipped ``data/``; ``../shared/data`` is not read.

Absolute times drift on shared machines, so every time is also given as a multiple of a baseline
measured in the same run (``json.dumps`` of a fixed object, timed per call like the lookups), taken
again just before each section so that a busy machine shows as drift between the baselines.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "lookup.json"
SERVE_TIMEOUT_S = 60.0
WARMUP = 50
EXAMPLES = 5

# The baseline: a fixed, lookup-answer-sized object. Changing it changes every ratio.
BASELINE_OBJECT: dict[str, Any] = {
    "status": "found",
    "address": {
        "street": "Stationsstraat",
        "housenumber": "12",
        "postcode": "3570",
        "municipality": "Alken",
    },
    "location": {"lat": 50.8747, "lon": 5.2933},
    "precision": "address",
    "zones": [{"id": f"z{i}", "name": f"Zone {i}", "area": "Alken"} for i in range(3)],
    "warnings": [],
    "actions": ["join_group"],
}
BASELINE_CALLS = 20_000
BASELINE_WARMUP_S = 1.0  # before the first baseline; later ones warm up for a fifth of that
BASELINE_DRIFT = 1.2  # baselines of one run further apart than this: the machine was busy
SECTIONS = ("lookup", "startup_app", "startup_process", "map")

Figures = dict[str, Any]


# -- measuring ------------------------------------------------------------------------------------
def percentile(samples: list[int] | list[float], q: float) -> float:
    """Return the nearest-rank percentile `q` (0-100) of `samples`."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def peak_rss_mb() -> float:
    """Return the peak resident set size of this process so far, in MB (Linux: ru_maxrss in KB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def timed_runs(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Call `fn` `runs` times; return the wall times in seconds and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        result = fn()
        times.append((time.perf_counter_ns() - t0) / 1e9)
    return times, result


def baseline_us(warmup_s: float) -> float:
    """Return the median time of ``json.dumps(BASELINE_OBJECT)`` per call (perf_counter_ns), in µs."""
    dumps, obj = json.dumps, BASELINE_OBJECT
    # Warm up for a fixed time: the first second of a run measures up to 2x slower on some machines.
    t_end = time.perf_counter() + warmup_s
    while time.perf_counter() < t_end:
        dumps(obj)
    samples: list[float] = []
    for _ in range(BASELINE_CALLS):
        t0 = time.perf_counter_ns()
        dumps(obj)
        samples.append((time.perf_counter_ns() - t0) / 1e3)
    return statistics.median(samples)


@contextlib.contextmanager
def section(figures: Figures, name: str) -> Iterator[Figures]:
    """Collect one section's figures; an exception marks it skipped (import) or failed (anything else)."""
    out: Figures = {}
    figures[name] = out
    try:
        yield out
    except ImportError as exc:
        out.clear()
        out["skipped"] = f"not importable yet: {exc}"
    except Exception as exc:  # a benchmark reports a broken section and goes on with the others
        out.clear()
        out["failed"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)


# -- the benchmarks -------------------------------------------------------------------------------
def bench_lookups(dataset: Any, out: Figures) -> None:
    """Lookup every register address as typed, then every positioned address as a point."""
    from zones.lookup import Locator

    locator = Locator(dataset)
    reg = dataset.register
    queries: list[tuple[str, tuple[str, str, str, str]]] = []
    for a in range(len(reg)):
        street = reg.streets[int(reg.street_of[a])]
        expected = (street.name, reg.housenumbers[a], street.postcode, street.municipality)
        queries.append(
            (
                f"{street.name} {reg.housenumbers[a]}, {street.postcode} {street.municipality}",
                expected,
            )
        )

    for query, _ in queries[:WARMUP]:
        locator.lookup(query)

    samples: list[float] = []
    statuses: Counter[str] = Counter()
    same = 0
    misses: list[str] = []
    for query, expected in queries:
        t0 = time.perf_counter_ns()
        try:
            result = locator.lookup(query)
        except Exception as exc:  # counted, never fatal: one bad address must not hide the timings
            samples.append((time.perf_counter_ns() - t0) / 1e3)
            statuses[f"error:{type(exc).__name__}"] += 1
            continue
        samples.append((time.perf_counter_ns() - t0) / 1e3)
        statuses[result.status] += 1
        got = result.address
        if (
            result.status in ("found", "no_zone")
            and got is not None
            and (got.street, got.housenumber, got.postcode, got.municipality) == expected
        ):
            same += 1
        elif len(misses) < EXAMPLES:
            misses.append(f"{query!r} -> {result.status}")

    out["addresses"] = len(queries)
    out["median_us"] = statistics.median(samples)
    out["p99_us"] = percentile(samples, 99)
    out["max_us"] = max(samples)
    # Addresses without a register position take another path (interpolation along the street).
    unpositioned = [t for a, t in enumerate(samples) if not reg.positioned[a]]
    out["unpositioned"] = len(unpositioned)
    out["unpositioned_median_us"] = statistics.median(unpositioned) if unpositioned else None
    out["unpositioned_p99_us"] = percentile(unpositioned, 99) if unpositioned else None
    out["same_address"] = same
    out["same_address_share"] = same / len(queries) if queries else 0.0
    out["statuses"] = dict(statuses.most_common())
    out["mismatch_examples"] = misses

    points = [(float(reg.lon[a]), float(reg.lat[a])) for a in range(len(reg)) if reg.positioned[a]]
    for lon, lat in points[:WARMUP]:
        locator.lookup_point(lon, lat)
    point_samples: list[float] = []
    point_statuses: Counter[str] = Counter()
    for lon, lat in points:
        t0 = time.perf_counter_ns()
        result = locator.lookup_point(lon, lat)
        point_samples.append((time.perf_counter_ns() - t0) / 1e3)
        point_statuses[result.status] += 1
    out["points"] = len(points)
    out["point_median_us"] = statistics.median(point_samples) if point_samples else None
    out["point_p99_us"] = percentile(point_samples, 99) if point_samples else None
    out["point_statuses"] = dict(point_statuses.most_common())


def bench_app_startup(data_dir: Path, runs: int, out: Figures) -> None:
    """Time create_app + lifespan start until the first /healthz answers, in-process."""
    with warnings.catch_warnings():  # starlette >= 1.10 warns on import: httpx -> httpx2
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    # The clock stops when /healthz answers; the lifespan shutdown afterwards is excluded.
    times: list[float] = []
    for _ in range(runs):
        app_t0 = time.perf_counter_ns()
        app = create_app(Settings(data_dir=data_dir))
        with TestClient(app) as client:
            status = client.get("/healthz").status_code
            times.append((time.perf_counter_ns() - app_t0) / 1e9)
        if status != 200:
            raise RuntimeError(f"/healthz answered {status}")
    out["runs"] = runs
    out["median_s"] = statistics.median(times)
    out["all_s"] = times


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_serve(data_dir: Path, while_up: Callable[[int], None] | None = None) -> float:
    """Spawn ``wabp serve`` on `data_dir`; return seconds until /healthz answers 200.

    `while_up(pid)` runs once the server answers, before it is stopped (to read its memory, say).
    Raises RuntimeError with the server's last log line when it exits or does not answer within
    SERVE_TIMEOUT_S.
    """
    wabp = Path(sys.executable).parent / "wabp"
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    cmd = [str(wabp), "serve", "--port", str(port), "--data", str(data_dir)]
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        elapsed: float | None = None
        exit_code: int | None = None
        try:
            while time.perf_counter() - t0 < SERVE_TIMEOUT_S:
                if (exit_code := proc.poll()) is not None:
                    break
                try:
                    with urllib.request.urlopen(url, timeout=1) as resp:
                        if resp.status == 200:
                            elapsed = time.perf_counter() - t0
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                time.sleep(0.05)
            if elapsed is not None and while_up is not None:
                while_up(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if elapsed is None:
            log.seek(0)
            lines = log.read().decode("utf-8", "replace").strip().splitlines()
            last = lines[-1].strip() if lines else "no output"
            if exit_code is not None:
                raise RuntimeError(f"wabp serve exited with {exit_code}: {last}")
            raise RuntimeError(
                f"wabp serve: no 200 from /healthz within {SERVE_TIMEOUT_S:.0f} s: {last}"
            )
    return elapsed


def bench_process_start(data_dir: Path, out: Figures) -> None:
    """Time ``wabp serve`` until /healthz answers 200 (at most SERVE_TIMEOUT_S)."""
    import service.app  # noqa: F401  (not importable yet: the section is skipped, not failed)

    out["seconds"] = time_serve(data_dir)
    out["command"] = ".venv/bin/wabp serve --port <free port> --data <data>"


def bench_map(dataset: Any, runs: int, out: Figures) -> None:
    """Time render_public_map and report the size of the HTML."""
    from maps.public import render_public_map

    times, html = timed_runs(
        lambda: render_public_map(dataset, asset_base="/static", lookup_url="/api/lookup"), runs
    )
    out["runs"] = runs
    out["median_s"] = statistics.median(times)
    out["all_s"] = times
    out["html_kb"] = len(html.encode("utf-8")) / 1024


# -- reporting ------------------------------------------------------------------------------------
def ratio(value_us: float | None, base_us: float) -> str:
    """Return ``N x baseline`` for a time in microseconds."""
    if value_us is None or base_us <= 0:
        return ""
    return f"{value_us / base_us:,.1f} x baseline"


def rows(fig: Figures) -> list[tuple[str, str, str]]:
    """Return (metric, value, ratio) rows; each time is compared with the baseline taken just before it."""
    bl = fig["baseline"]
    at = bl["by_section"]
    lo, hi = min(at.values()), max(at.values())
    out: list[tuple[str, str, str]] = [
        (
            "baseline: json.dumps (fixed object)",
            f"{bl['median_us']:.2f} µs",
            f"{len(at)} samples, {lo:.2f}-{hi:.2f} µs"
            + (" DRIFT: machine busy, ratios unreliable" if bl["drifted"] else ""),
        ),
        (
            "dataset load",
            f"{fig['load']['seconds']:.3f} s",
            ratio(fig["load"]["seconds"] * 1e6, at["load"]),
        ),
        ("peak RSS after imports", f"{fig['memory']['after_imports_mb']:.1f} MB", ""),
        ("peak RSS after dataset load", f"{fig['memory']['after_load_mb']:.1f} MB", ""),
    ]

    def status(name: str) -> tuple[str, str, str] | None:
        sec = fig[name]
        for key in ("skipped", "failed"):
            if key in sec:
                return (name, key, sec[key])
        return None

    lk = fig["lookup"]
    if (row := status("lookup")) is not None:
        out.append(row)
    else:
        out += [
            (
                f"lookup median ({lk['addresses']} addresses)",
                f"{lk['median_us']:.1f} µs",
                ratio(lk["median_us"], at["lookup"]),
            ),
            ("lookup p99", f"{lk['p99_us']:.1f} µs", ratio(lk["p99_us"], at["lookup"])),
            (
                f"lookup median, no position ({lk['unpositioned']})",
                f"{lk['unpositioned_median_us'] or 0:.1f} µs",
                ratio(lk["unpositioned_median_us"], at["lookup"]),
            ),
            (
                "lookup p99, no position",
                f"{lk['unpositioned_p99_us'] or 0:.1f} µs",
                ratio(lk["unpositioned_p99_us"], at["lookup"]),
            ),
            (
                "lookup same address (found/no_zone)",
                f"{lk['same_address']}/{lk['addresses']} ({lk['same_address_share']:.1%})",
                ", ".join(f"{k} {v}" for k, v in lk["statuses"].items()),
            ),
            (
                f"point median ({lk['points']} points)",
                f"{lk['point_median_us']:.1f} µs",
                ratio(lk["point_median_us"], at["lookup"]),
            ),
            ("point p99", f"{lk['point_p99_us']:.1f} µs", ratio(lk["point_p99_us"], at["lookup"])),
        ]
    if (row := status("startup_app")) is not None:
        out.append(row)
    else:
        st = fig["startup_app"]
        out.append(
            (
                f"app start to /healthz (median of {st['runs']})",
                f"{st['median_s']:.3f} s",
                ratio(st["median_s"] * 1e6, at["startup_app"]),
            )
        )
    if (row := status("startup_process")) is not None:
        out.append(row)
    else:
        sp = fig["startup_process"]
        out.append(
            (
                "wabp serve to /healthz 200",
                f"{sp['seconds']:.3f} s",
                ratio(sp["seconds"] * 1e6, at["startup_process"]),
            )
        )
    if (row := status("map")) is not None:
        out.append(row)
    else:
        mp = fig["map"]
        out += [
            (
                f"map build (median of {mp['runs']})",
                f"{mp['median_s']:.3f} s",
                ratio(mp["median_s"] * 1e6, at["map"]),
            ),
            ("map HTML size", f"{mp['html_kb']:.1f} KB", ""),
        ]
    return out


def print_table(fig: Figures) -> None:
    """Print the figures with rich when available, else as plain text."""
    title = f"wabp bench: {fig['meta']['dataset']} ({fig['meta']['when']})"
    table_rows = rows(fig)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        width = max(len(r[0]) for r in table_rows)
        for metric, value, note in table_rows:
            print(f"  {metric:<{width}}  {value:>14}  {note}")
    else:
        table = Table(title=title, title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column("ratio / note")
        for r in table_rows:
            table.add_row(*r)
        Console(width=None if sys.stdout.isatty() else 120).print(table)
    misses = fig["lookup"].get("mismatch_examples") or []
    if misses:
        print("lookups not answered with the same address (first few):")
        for m in misses:
            print(f"  {m}")


def git_commit() -> str | None:
    """Return the checked-out commit, or None outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the table, write the JSON; exit 1 when a section failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data", type=Path, default=None, help="dataset directory (default: the shipped data/)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs for the start-up and map medians")
    parser.add_argument(
        "--no-serve", action="store_true", help="skip the real `wabp serve` process start"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = parser.parse_args(argv)

    from zones.dataset import DEFAULT_DATA_DIR, Dataset

    data_dir: Path = (args.data or DEFAULT_DATA_DIR).resolve()
    fig: Figures = {
        "meta": {
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dataset": data_dir.name if data_dir != DEFAULT_DATA_DIR.resolve() else "data/ (Alken)",
            "data_dir": str(data_dir),
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
    }
    at: dict[str, float] = {"start": baseline_us(BASELINE_WARMUP_S)}

    mem: Figures = {"after_imports_mb": peak_rss_mb()}
    at["load"] = baseline_us(BASELINE_WARMUP_S / 5)
    t0 = time.perf_counter()
    dataset = Dataset.load(data_dir)
    fig["load"] = {"seconds": time.perf_counter() - t0}
    mem["after_load_mb"] = peak_rss_mb()
    fig["memory"] = mem

    runners: dict[str, Callable[[Figures], None]] = {
        "lookup": lambda out: bench_lookups(dataset, out),
        "startup_app": lambda out: bench_app_startup(data_dir, args.runs, out),
        "startup_process": (
            (lambda out: out.update(skipped="--no-serve"))
            if args.no_serve
            else (lambda out: bench_process_start(data_dir, out))
        ),
        "map": lambda out: bench_map(dataset, args.runs, out),
    }
    for name in SECTIONS:
        at[name] = baseline_us(BASELINE_WARMUP_S / 5)
        with section(fig, name) as out:
            runners[name](out)
    at["end"] = baseline_us(BASELINE_WARMUP_S / 5)

    fig["baseline"] = {
        "what": f"json.dumps of a fixed {len(json.dumps(BASELINE_OBJECT))}-byte object, per call",
        "calls": BASELINE_CALLS,
        "median_us": statistics.median(at.values()),
        "by_section": at,
        "drifted": max(at.values()) > BASELINE_DRIFT * min(at.values()),
    }
    fig["meta"]["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    lookup, app, proc, mp = fig["lookup"], fig["startup_app"], fig["startup_process"], fig["map"]
    micros = {
        "lookup_median": (lookup.get("median_us"), "lookup"),
        "lookup_p99": (lookup.get("p99_us"), "lookup"),
        "point_median": (lookup.get("point_median_us"), "lookup"),
        "point_p99": (lookup.get("point_p99_us"), "lookup"),
        "load": (fig["load"]["seconds"] * 1e6, "load"),
        "startup_app_median": (app["median_s"] * 1e6 if "median_s" in app else None, "startup_app"),
        "startup_process": (
            proc["seconds"] * 1e6 if "seconds" in proc else None,
            "startup_process",
        ),
        "map_median": (mp["median_s"] * 1e6 if "median_s" in mp else None, "map"),
    }
    # Each time over the baseline measured just before it.
    fig["ratios"] = {k: v / at[where] for k, (v, where) in micros.items() if v is not None}

    print_table(fig)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fig, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"figures written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
    )
    return 1 if any("failed" in fig[name] for name in SECTIONS) else 0


if __name__ == "__main__":
    sys.exit(main())
