"""Check issue 3's Flanders-scale targets: lookup, autocomplete and start-up with 2.65 M addresses.

Run ``.venv/bin/python bench/scale.py``. **Needs ``../shared/data``**: the CRAB 2014 register of all of
Flanders (``crab_adresposities_2014_sanderd17/flanders_addresses_crab2014.csv.gz``) and the 2,767
wijken (``provinciesincijfers_gebiedsniveaus/shapefiles/ggw7.shp``). Without it, the script prints one
``skipped`` line and exits 0.

The targets: lookup p99 under 2 ms in-process with all of Flanders loaded; autocomplete p99 under
5 ms; service start-up with Flanders under 20 s (what is derived is cached).

The Flanders dataset is built once with the code path of ``wabp init``
(`zones.importing.create_dataset`) into ``bench/results/flanders/`` and reused by later runs; delete
that folder to rebuild it. Loads and the init run in fresh subprocesses so that their times and peak
RSS are clean. Every time is also given as a multiple of the baseline of ``bench/lookup.py``
(``json.dumps`` of a fixed object), measured in the same run just before each section. Prints a table
with PASS/FAIL per target and writes ``bench/results/scale.json``. A lookup kind over its target is
profiled (cProfile, its slowest queries) and the top functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookup import (
    BASELINE_CALLS,
    BASELINE_DRIFT,
    BASELINE_OBJECT,
    BASELINE_WARMUP_S,
    baseline_us,
    git_commit,
    peak_rss_mb,
    percentile,
    time_serve,
)

ROOT = Path(__file__).resolve().parent.parent
# ``../shared/data`` next to the checkout; WABP_SHARED_DATA points elsewhere (a git worktree).
SHARED_DATA = Path(os.environ.get("WABP_SHARED_DATA", ROOT.parent / "shared" / "data"))
FLANDERS_CSV = (
    SHARED_DATA / "crab_adresposities_2014_sanderd17" / "flanders_addresses_crab2014.csv.gz"
)
GGW7_SHP = SHARED_DATA / "provinciesincijfers_gebiedsniveaus" / "shapefiles" / "ggw7.shp"
# The register has no municipality column and some postcodes span two municipalities (3220 is
# Holsbeek and Lubbeek): the municipality polygons (2025, as the wijken) name each address's
# municipality.
MUNICIPALITIES_SHP = (
    SHARED_DATA / "provinciesincijfers_gebiedsniveaus" / "shapefiles" / "gemeente.shp"
)
RESULTS_DIR = ROOT / "bench" / "results"
DATASET_DIR = RESULTS_DIR / "flanders"
WIJKEN_GEOJSON = RESULTS_DIR / "flanders_wijken.geojson"
INIT_RECORD = RESULTS_DIR / "flanders_init.json"
RESULTS = RESULTS_DIR / "scale.json"

TARGET_LOOKUP_P99_US = 2_000.0
TARGET_SUGGEST_P99_US = 5_000.0
TARGET_START_S = 20.0

SEED = 20_240_603
N_WITH_POSTCODE = 5_000
N_NO_POSTCODE = 2_000
N_TYPO = 2_000
N_POINTS = 5_000
N_SUGGEST = 3_000
SUGGEST_TYPO_SHARE = 0.2
SUGGEST_LENGTHS = (3, 8)
WARMUP = 50
SLOWEST = 5
PROFILE_QUERIES = 20
PROFILE_TOP = 15
# Below this share of CPU time in the wall time of the timed calls, other processes took the CPU.
BUSY_CPU_SHARE = 0.9
GC_PAUSE_MS = 1.0  # a collection at least this long counts as having slowed a call down
SERVE_TIMEOUT_S = 120.0
CHILD_TIMEOUT_S = 1_800.0
LETTERS = "abcdefghijklmnopqrstuvwxyz"

KINDS = ("lookup_postcode", "lookup_no_postcode", "lookup_typo", "point", "suggest")
KIND_LABELS = {
    "lookup_postcode": "lookup 'Street N, Postcode'",
    "lookup_no_postcode": "lookup 'Street N' (no place)",
    "lookup_typo": "lookup typo + postcode",
    "point": "point lookup",
    "suggest": "autocomplete",
}
SECTIONS = ("init", "load_cold", "load_warm", "serve", "lookup")

Figures = dict[str, Any]


# -- children: each heavy step runs once, in a fresh process --------------------------------------
def rss_now_mb() -> float | None:
    """Return this process's current resident set size in MB (Linux), or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return None


def polygonal(geom: Any) -> Any:
    """Return only the Polygon/MultiPolygon parts of a geometry (None when there are none)."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [
        p
        for g in getattr(geom, "geoms", [])
        for p in (getattr(g, "geoms", [g]) if g.geom_type == "MultiPolygon" else [g])
        if p.geom_type == "Polygon" and not p.is_empty
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def write_wijken_geojson(path: Path) -> Figures:
    """Write the 2,767 ggw7 wijken as a zone GeoJSON (WGS84, ``id`` and ``name``)."""
    import geopandas as gpd
    import shapely

    frame = gpd.read_file(GGW7_SHP, engine="pyogrio")
    read = len(frame)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs(4326)
    geoms = list(frame.geometry)
    invalid = [i for i, g in enumerate(geoms) if not shapely.is_valid(g)]
    for i in invalid:
        geoms[i] = polygonal(shapely.make_valid(geoms[i]))
    features = []
    for geoitem, naam, geom in zip(frame["geoitem"], frame["naam"], geoms, strict=True):
        if geom is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": re.sub(r"[^a-z0-9-]+", "-", str(geoitem).strip().lower()).strip("-"),
                    "name": f"WABP {str(naam).strip()}",
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return {
        "read": read,
        "written": len(features),
        "dropped": read - len(features),
        "made_valid": len(invalid),
    }


def child_init() -> Figures:
    """Build the Flanders dataset with `create_dataset` (the ``wabp init`` code path)."""
    t0 = time.perf_counter()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)  # bench/core.py calls this on a fresh clone
    wijken = write_wijken_geojson(WIJKEN_GEOJSON)
    wijken["seconds"] = time.perf_counter() - t0
    from zones.importing import create_dataset

    t0 = time.perf_counter()
    report = create_dataset(
        DATASET_DIR, FLANDERS_CSV, WIJKEN_GEOJSON, MUNICIPALITIES_SHP, name="Vlaanderen"
    )
    seconds = time.perf_counter() - t0
    return {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wijken": wijken,
        "seconds": seconds,
        "addresses": report.addresses,
        "postcodes": len(report.postcodes),
        "zones": report.zones,
        "notes": report.notes,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_load(cache: bool) -> Figures:
    """Time `Dataset.load` of the Flanders dataset; report the imports and memory separately."""
    t0 = time.perf_counter()
    from zones.cache import cache_key
    from zones.dataset import Dataset, DatasetPaths

    imports_s = time.perf_counter() - t0
    after_imports = peak_rss_mb()
    paths = DatasetPaths(DATASET_DIR)
    cache_file = paths.cache / f"dataset-{cache_key(paths.addresses, paths.zones)}.pickle"
    present = cache_file.is_file()
    t0 = time.perf_counter()
    dataset = Dataset.load(DATASET_DIR, cache=cache)
    seconds = time.perf_counter() - t0
    return {
        "cache": cache,
        "cache_file_present_before": present,
        "cache_file_mb": cache_file.stat().st_size / 1024 / 1024 if cache_file.is_file() else None,
        "imports_s": imports_s,
        "seconds": seconds,
        "cpu_s": process_cpu_s(),
        "peak_rss_after_imports_mb": after_imports,
        "peak_rss_mb": peak_rss_mb(),
        "rss_after_load_mb": rss_now_mb(),
        "addresses": len(dataset.register),
        "streets": len(dataset.register.streets),
        "zones": len(dataset.zones),
        "problems": dict(Counter(p.code for p in dataset.problems)),
    }


def process_cpu_s(pid: int | None = None) -> float | None:
    """Return the CPU time (user + system) of this process, or of process `pid` (Linux), in s."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_child(mode: str) -> Figures:
    """Run ``scale.py --child MODE`` in a fresh interpreter and return the JSON it prints last."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"child {mode!r} exited with {done.returncode}: {tail}")
    out: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


# -- sections -------------------------------------------------------------------------------------
@contextmanager
def section(figures: Figures, name: str) -> Iterator[Figures]:
    """Collect one section's figures; an exception marks it failed and the run goes on."""
    out: Figures = {}
    figures[name] = out
    try:
        yield out
    except Exception as exc:  # a benchmark reports a broken section and goes on with the others
        out.clear()
        out["failed"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)


def dataset_complete() -> bool:
    """Tell whether bench/results/flanders holds a dataset made by an earlier run."""
    return all(
        (DATASET_DIR / name).is_file()
        for name in ("addresses.csv", "zones.geojson", "dataset.json")
    )


def bench_init(out: Figures) -> None:
    """Build the Flanders dataset once (timed), or reuse it and report how long it took then."""
    if dataset_complete():
        record = json.loads(INIT_RECORD.read_text("utf-8")) if INIT_RECORD.is_file() else {}
        out.update(record)
        out["reused"] = True
        return
    if DATASET_DIR.exists():  # a half-made dataset of an interrupted run: ours to remove
        shutil.rmtree(DATASET_DIR)
    print("building the Flanders dataset (wabp init code path), once ...", flush=True)
    record = run_child("init")
    INIT_RECORD.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    out.update(record)
    out["reused"] = False


def cache_file_present() -> bool:
    """Tell whether the dataset cache for the current register and zone files exists."""
    from zones.cache import cache_key
    from zones.dataset import DatasetPaths

    paths = DatasetPaths(DATASET_DIR)
    key = cache_key(paths.addresses, paths.zones)
    return (paths.cache / f"dataset-{key}.pickle").is_file()


def bench_load_warm(out: Figures) -> None:
    """Write the cache if init did not (first load), then time a load that hits it."""
    if cache_file_present():
        out["cache_written_by"] = "init (its check load)"
    else:
        first = run_child("first")
        out["first_load"] = first
        out["cache_written_by"] = "first load"
    out.update(run_child("warm"))
    if not out["cache_file_present_before"]:
        raise RuntimeError("no cache file before the warm load: the first load did not write one")


def bench_serve(out: Figures) -> None:
    """Time ``wabp serve`` with the cache warm until /healthz answers; then its memory and CPU."""

    def measure(pid: int) -> None:
        out["peak_rss_mb"] = process_peak_rss_mb(pid)
        out["cpu_s"] = process_cpu_s(pid)

    out["seconds"] = time_serve(DATASET_DIR, while_up=measure)
    out["command"] = ".venv/bin/wabp serve --port <free port> --data bench/results/flanders"


def process_peak_rss_mb(pid: int) -> float | None:
    """Return another process's peak RSS (VmHWM, Linux) in MB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


# -- lookups --------------------------------------------------------------------------------------
@dataclass
class Query:
    """One timed query: what was asked, what was expected (for the sanity count)."""

    text: str
    expected: tuple[str, ...] = ()
    lonlat: tuple[float, float] | None = None


def typo(word: str, rng: random.Random) -> str:
    """Return `word` with one typo (substitute, delete, insert or swap a letter; never the first)."""
    letters = [i for i, c in enumerate(word) if c.isalpha() and i > 0]
    if not letters:
        return word
    for _ in range(20):
        i = rng.choice(letters)
        op = rng.choice(("substitute", "delete", "insert", "swap"))
        if op == "substitute":
            new = word[:i] + rng.choice(LETTERS.replace(word[i].lower(), "")) + word[i + 1 :]
        elif op == "delete":
            new = word[:i] + word[i + 1 :]
        elif op == "insert":
            new = word[:i] + rng.choice(LETTERS) + word[i:]
        else:
            j = i + 1 if i + 1 < len(word) else i - 1
            lo, hi = min(i, j), max(i, j)
            new = word[:lo] + word[hi] + word[lo] + word[hi + 1 :]
        if new.lower() != word.lower():
            return new
    return word


def make_queries(dataset: Any) -> dict[str, list[Query]]:
    """Sample register addresses (seeded) and turn them into the queries of every kind."""
    import numpy as np

    reg = dataset.register
    rng = random.Random(SEED)
    n = len(reg)
    picked = rng.sample(range(n), N_WITH_POSTCODE + N_NO_POSTCODE + N_TYPO + N_SUGGEST)
    a_pc = picked[:N_WITH_POSTCODE]
    a_no = picked[N_WITH_POSTCODE : N_WITH_POSTCODE + N_NO_POSTCODE]
    a_typo = picked[N_WITH_POSTCODE + N_NO_POSTCODE : N_WITH_POSTCODE + N_NO_POSTCODE + N_TYPO]
    a_suggest = picked[N_WITH_POSTCODE + N_NO_POSTCODE + N_TYPO :]

    def parts(a: int) -> tuple[str, str, str]:
        street = reg.streets[int(reg.street_of[a])]
        return street.name, reg.housenumbers[a], street.postcode

    queries: dict[str, list[Query]] = {k: [] for k in KINDS}
    for a in a_pc:
        name, number, postcode = parts(a)
        queries["lookup_postcode"].append(
            Query(f"{name} {number}, {postcode}", (name, number, postcode))
        )
    for a in a_no:
        name, number, postcode = parts(a)
        queries["lookup_no_postcode"].append(Query(f"{name} {number}", (name, number, postcode)))
    for a in a_typo:
        name, number, postcode = parts(a)
        queries["lookup_typo"].append(
            Query(f"{typo(name, rng)} {number}, {postcode}", (name, number, postcode))
        )
    positioned = np.flatnonzero(reg.positioned).tolist()
    for a in rng.sample(positioned, min(N_POINTS, len(positioned))):
        lonlat = (float(reg.lon[a]), float(reg.lat[a]))
        queries["point"].append(Query(f"{lonlat[0]:.7f},{lonlat[1]:.7f}", lonlat=lonlat))
    for a in a_suggest:
        name = parts(a)[0]
        prefix = name[: rng.randint(*SUGGEST_LENGTHS)]
        if rng.random() < SUGGEST_TYPO_SHARE:
            prefix = typo(prefix, rng)
        queries["suggest"].append(Query(prefix, (name,)))
    return queries


@dataclass
class Sample:
    """One timed call; `gc_ms` is the longest garbage collection that ran during it (0: none)."""

    query: str
    us: float
    status: str
    same: bool
    gc_ms: float = 0.0
    gc_generation: int = -1
    cpu_us: float = 0.0  # CPU time of this thread during the call: what the call costs when alone


class GcWatch:
    """Record every garbage collection (generation, pause) while installed in `gc.callbacks`."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._t0 = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter_ns()
        else:
            self.pauses.append((info["generation"], (time.perf_counter_ns() - self._t0) / 1e6))

    @contextmanager
    def installed(self) -> Iterator[GcWatch]:
        """Watch the collections for the duration of the block."""
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


def lookup_status(result: Any) -> str:
    """Describe a LookupResult briefly: its status, and the number of candidates when ambiguous."""
    if result.status == "ambiguous":
        return f"ambiguous ({len(result.candidates)} candidates)"
    return str(result.status)


def same_address(result: Any, expected: tuple[str, ...]) -> bool:
    """Tell whether a lookup answered the expected register address (street, number, postcode)."""
    got = result.address
    return (
        result.status in ("found", "no_zone")
        and got is not None
        and (got.street, got.housenumber, got.postcode) == expected
    )


def caller(locator: Any, kind: str) -> Callable[[Query], Any]:
    """Return the Locator call that answers one query of a kind."""
    if kind == "point":

        def point(q: Query) -> Any:
            assert q.lonlat is not None
            return locator.lookup_point(*q.lonlat)

        return point
    if kind == "suggest":
        return lambda q: locator.suggest_streets(q.text)
    return lambda q: locator.lookup(q.text)


def run_kind(locator: Any, kind: str, queries: list[Query], watch: GcWatch) -> list[Sample]:
    """Time every query of one kind (perf_counter_ns per call) after a short untimed warm-up."""
    call = caller(locator, kind)
    for q in queries[:WARMUP]:
        try:
            call(q)
        except Exception:  # counted below, where it is timed
            pass
    samples: list[Sample] = []
    pauses = watch.pauses
    cpu_clock = time.thread_time_ns
    for q in queries:
        n_gc = len(pauses)
        c0 = cpu_clock()
        t0 = time.perf_counter_ns()
        try:
            result = call(q)
        except Exception as exc:  # counted, never fatal: one bad query must not hide the timings
            us = (time.perf_counter_ns() - t0) / 1e3
            cpu_us = (cpu_clock() - c0) / 1e3
            sample = Sample(q.text, us, f"error:{type(exc).__name__}", False)
        else:
            us = (time.perf_counter_ns() - t0) / 1e3
            cpu_us = (cpu_clock() - c0) / 1e3
            if kind == "suggest":
                names = [s.name for s in result]
                listed = q.expected[0] in names
                status = f"{len(names)} results, street {'listed' if listed else 'not listed'}"
                sample = Sample(q.text, us, status, listed)
            else:
                same = bool(q.expected) and same_address(result, q.expected)
                sample = Sample(q.text, us, lookup_status(result), same)
        sample.cpu_us = cpu_us
        if len(pauses) > n_gc:
            sample.gc_generation, sample.gc_ms = max(pauses[n_gc:], key=lambda p: p[1])
        samples.append(sample)
    return samples


def summarise(samples: list[Sample], target_us: float) -> Figures:
    """Return median, p99, max, the status counts, the calls over target and the slowest calls."""
    times = [s.us for s in samples]
    cpu = [s.cpu_us for s in samples]
    over = [s for s in samples if s.us >= target_us]
    # Lookups: the status without the number of candidates; autocomplete: listed or not.
    statuses = Counter(
        s.status.split(", ", 1)[1] if " results, " in s.status else s.status.split(" (", 1)[0]
        for s in samples
    )
    slowest = sorted(samples, key=lambda s: -s.us)[:SLOWEST]
    return {
        "n": len(samples),
        "median_us": statistics.median(times),
        "p99_us": percentile(times, 99),
        "max_us": max(times),
        "cpu_median_us": statistics.median(cpu),
        "cpu_p99_us": percentile(cpu, 99),
        # The CPU clock is read just outside the wall clock, so quiet short calls show 101-103%.
        "cpu_share": min(1.0, sum(cpu) / sum(times)) if sum(times) else None,
        "statuses": dict(statuses.most_common()),
        "same": sum(s.same for s in samples),
        "over_target": len(over),
        "over_target_during_gc": sum(s.gc_ms >= GC_PAUSE_MS for s in over),
        "gc_during_calls": Counter(f"gen{s.gc_generation}" for s in samples if s.gc_ms > 0),
        "gc_max_ms": max((s.gc_ms for s in samples), default=0.0),
        "slowest": [
            {"query": s.query, "us": s.us, "status": s.status, "gc_ms": s.gc_ms} for s in slowest
        ],
        "misses": [f"{s.query!r} -> {s.status}" for s in samples if not s.same][:SLOWEST],
    }


def short_function(key: tuple[str, int, str]) -> str:
    """Return ``path:line(function)`` with the path relative to the repo or site-packages."""
    path, line, func = key
    if path == "~":
        return func
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(str(ROOT)):
        path = str(Path(path).relative_to(ROOT))
    return f"{path}:{line}({func})"


def profile_kind(locator: Any, kind: str, queries: list[Query], slow: list[str]) -> Figures:
    """Run the slowest queries of a kind again under cProfile; return the top functions (cumulative)."""
    by_text = {q.text: q for q in queries}
    chosen = [by_text[t] for t in slow if t in by_text]
    call = caller(locator, kind)
    profiler = cProfile.Profile()
    profiler.enable()
    for q in chosen:
        try:
            call(q)
        except Exception:  # the timings above already counted it
            pass
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: -kv[1][3])
    top = []
    for key, (_cc, nc, tt, ct, _callers) in rows:
        name = short_function(key)
        if "cProfile" in name or name.startswith("<method 'disable'"):
            continue
        top.append(
            {
                "function": name,
                "calls": nc,
                "tottime_ms_per_query": tt * 1e3 / max(1, len(chosen)),
                "cumtime_ms_per_query": ct * 1e3 / max(1, len(chosen)),
            }
        )
        if len(top) >= PROFILE_TOP:
            break
    return {"queries": [q.text for q in chosen], "top_cumulative": top}


def bench_lookups(at: dict[str, float], out: Figures) -> None:
    """Load Flanders in-process (cache), then time every kind of lookup and the autocomplete."""
    from zones.dataset import Dataset
    from zones.lookup import Locator

    t0 = time.perf_counter()
    dataset = Dataset.load(DATASET_DIR)
    out["load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    locator = Locator(dataset)
    out["locator_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    out["addresses"] = len(dataset.register)
    queries = make_queries(dataset)
    # As the service does after its load (service/state.py): the loaded dataset leaves the
    # garbage collector's view, so a full collection does not walk millions of objects.
    gc.collect()
    gc.freeze()
    samples: dict[str, list[Sample]] = {}
    watch = GcWatch()
    for kind in KINDS:
        at[kind] = baseline_us(BASELINE_WARMUP_S / 5)
        with watch.installed():
            samples[kind] = run_kind(locator, kind, queries[kind], watch)
        out[kind] = summarise(samples[kind], target_of(kind))
        if kind == "point":  # no expected address to compare with
            del out[kind]["same"], out[kind]["misses"]
        # Time the slowest calls once more: a one-off cost (a lazy first use) shows as fast again.
        by_text = {q.text: q for q in queries[kind]}
        call = caller(locator, kind)
        for slow in out[kind]["slowest"]:
            t0 = time.perf_counter_ns()
            try:
                call(by_text[slow["query"]])
            except Exception:  # already counted
                pass
            slow["again_us"] = (time.perf_counter_ns() - t0) / 1e3
    out["profiles"] = {}
    for kind in KINDS:
        if out[kind]["p99_us"] <= target_of(kind):
            continue
        # The slowest calls that no garbage collection slowed down: the lookup's own cost.
        own = [s for s in sorted(samples[kind], key=lambda s: -s.us) if s.gc_ms < GC_PAUSE_MS]
        slow = [s.query for s in own[:PROFILE_QUERIES]]
        out["profiles"][kind] = profile_kind(locator, kind, queries[kind], slow)
    # What else `wabp serve` does at start-up besides the load: render the public map (once).
    t0 = time.perf_counter()
    try:
        from maps.public import render_public_map

        html = render_public_map(dataset, asset_base="/static", lookup_url="/api/lookup")
    except Exception as exc:  # the map is only the start-up breakdown; report and go on
        out["map_failed"] = f"{type(exc).__name__}: {exc}"
    else:
        out["map_s"] = time.perf_counter() - t0
        out["map_html_mb"] = len(html.encode("utf-8")) / 1024 / 1024


def target_of(kind: str) -> float:
    """Return the p99 target of a kind of query, in µs."""
    return TARGET_SUGGEST_P99_US if kind == "suggest" else TARGET_LOOKUP_P99_US


# -- reporting ------------------------------------------------------------------------------------
def verdict(value: float | None, target: float) -> str:
    """Return PASS or FAIL for a value that must stay under `target`."""
    if value is None:
        return ""
    return "PASS" if value < target else "FAIL"


def targets(fig: Figures) -> dict[str, Figures]:
    """Return every figure that has a target: value, target, unit, pass."""
    out: dict[str, Figures] = {}

    def add(name: str, value: float | None, target: float, unit: str) -> None:
        if value is not None:
            out[name] = {"value": value, "target": target, "unit": unit, "pass": value < target}

    lk = fig.get("lookup", {})
    for kind in KINDS:
        if kind in lk:
            add(f"{kind}_p99", lk[kind]["p99_us"], target_of(kind), "us")
    add("load_cold", fig.get("load_cold", {}).get("seconds"), TARGET_START_S, "s")
    add("load_warm", fig.get("load_warm", {}).get("seconds"), TARGET_START_S, "s")
    add("serve_to_healthz", fig.get("serve", {}).get("seconds"), TARGET_START_S, "s")
    return out


def ratio(value_us: float | None, base_us: float | None) -> str:
    """Return ``N x baseline`` for a time in microseconds."""
    if value_us is None or not base_us:
        return ""
    return f"{value_us / base_us:,.0f} x baseline"


Row = tuple[str, str, str, str, str]


def cpu_note(cpu_s: float | None, wall_s: float) -> str:
    """Return ``CPU N s of M s wall``: well below the wall time means waiting (I/O, or a busy CPU)."""
    if cpu_s is None:
        return "CPU time unknown"
    return f"CPU {cpu_s:.1f} s of {wall_s:.1f} s wall"


def rows(fig: Figures) -> list[Row]:
    """Return (metric, value, target, verdict, ratio / note) rows."""
    bl = fig["baseline"]
    at = bl["by_section"]
    lo, hi = min(at.values()), max(at.values())
    out: list[Row] = [
        (
            "baseline: json.dumps (fixed object)",
            f"{bl['median_us']:.2f} µs",
            "",
            "",
            f"{len(at)} samples, {lo:.2f}-{hi:.2f} µs"
            + (" DRIFT: machine busy, ratios unreliable" if bl["drifted"] else ""),
        )
    ]

    def failed(name: str) -> bool:
        sec = fig.get(name, {})
        if "failed" in sec:
            out.append((name, "failed", "", "", sec["failed"]))
            return True
        return False

    target_s = f"< {TARGET_START_S:.0f} s"
    if not failed("init"):
        ini = fig["init"]
        how = "reused from an earlier run" if ini.get("reused") else "built in this run"
        if "seconds" in ini:
            out.append(
                (
                    "wabp init (create_dataset), Flanders",
                    f"{ini['seconds']:.1f} s",
                    "",
                    "",
                    f"{how}; {ini.get('addresses', 0):,} addresses, {ini.get('zones', 0):,} "
                    f"zones, peak RSS {ini.get('peak_rss_mb', 0):,.0f} MB",
                )
            )
        else:
            out.append(("wabp init (create_dataset), Flanders", "?", "", "", how))
    if not failed("load_cold"):
        c = fig["load_cold"]
        out.append(
            (
                "Dataset.load(cache=False), cold",
                f"{c['seconds']:.1f} s",
                target_s,
                verdict(c["seconds"], TARGET_START_S),
                f"{ratio(c['seconds'] * 1e6, at.get('load_cold'))}; imports {c['imports_s']:.1f} s "
                f"more; {cpu_note(c['cpu_s'], c['imports_s'] + c['seconds'])}; "
                f"peak RSS {c['peak_rss_mb']:,.0f} MB",
            )
        )
    if not failed("load_warm"):
        w = fig["load_warm"]
        if "first_load" in w:
            f = w["first_load"]
            out.append(
                (
                    "Dataset.load, first (writes cache)",
                    f"{f['seconds']:.1f} s",
                    "",
                    "",
                    f"peak RSS {f['peak_rss_mb']:,.0f} MB",
                )
            )
        out.append(
            (
                "Dataset.load, cache hit",
                f"{w['seconds']:.1f} s",
                target_s,
                verdict(w["seconds"], TARGET_START_S),
                f"{ratio(w['seconds'] * 1e6, at.get('load_warm'))}; imports {w['imports_s']:.1f} s "
                f"more; {cpu_note(w['cpu_s'], w['imports_s'] + w['seconds'])}; peak RSS {w['peak_rss_mb']:,.0f} MB; cache {w['cache_file_mb'] or 0:,.0f} MB "
                f"(written by {w['cache_written_by']})",
            )
        )
    if not failed("serve"):
        s = fig["serve"]
        out.append(
            (
                "wabp serve to /healthz 200 (cache warm)",
                f"{s['seconds']:.1f} s",
                target_s,
                verdict(s["seconds"], TARGET_START_S),
                f"{ratio(s['seconds'] * 1e6, at.get('serve'))}; "
                f"{cpu_note(s['cpu_s'], s['seconds'])}; peak RSS {s['peak_rss_mb'] or 0:,.0f} MB",
            )
        )
    if not failed("lookup"):
        lk = fig["lookup"]
        out.append(
            (
                "in-process load + Locator",
                f"{lk['load_s'] + lk['locator_s']:.1f} s",
                "",
                "",
                f"Locator() {lk['locator_s']:.2f} s; peak RSS {lk['peak_rss_mb']:,.0f} MB",
            )
        )
        for kind in KINDS:
            k = lk[kind]
            t = target_of(kind)
            label = f"{KIND_LABELS[kind]} ({k['n']:,})"
            out.append(
                (
                    f"{label} median",
                    f"{k['median_us']:,.0f} µs",
                    "",
                    "",
                    f"{ratio(k['median_us'], at[kind])}; CPU share of the calls "
                    f"{k['cpu_share']:.0%}" + (" BUSY" if k["cpu_share"] < BUSY_CPU_SHARE else ""),
                )
            )
            note = (
                f"{ratio(k['p99_us'], at[kind])}; CPU-time p99 {k['cpu_p99_us']:,.0f} µs "
                f"({verdict(k['cpu_p99_us'], t)}); max {k['max_us']:,.0f} µs; "
                f"{k['over_target']:,} calls over {t / 1000:.0f} ms "
                f"({k['over_target_during_gc']:,} with a GC pause ≥ {GC_PAUSE_MS:.0f} ms)"
            )
            out.append(
                (
                    f"{KIND_LABELS[kind]} p99",
                    f"{k['p99_us']:,.0f} µs",
                    f"< {t / 1000:.0f} ms",
                    verdict(k["p99_us"], t),
                    note,
                )
            )
            statuses = ", ".join(f"{s} {n:,}" for s, n in k["statuses"].items())
            if kind == "point":
                out.append((f"{KIND_LABELS[kind]} statuses", "", "", "", statuses))
            elif kind == "suggest":
                out.append(
                    (f"{KIND_LABELS[kind]} street listed", f"{k['same']:,}/{k['n']:,}", "", "", "")
                )
            else:
                what = "corrected to the address" if kind == "lookup_typo" else "same address"
                out.append(
                    (
                        f"{KIND_LABELS[kind]} {what}",
                        f"{k['same']:,}/{k['n']:,} ({k['same'] / k['n']:.1%})",
                        "",
                        "",
                        statuses,
                    )
                )
        shares = {kind: lk[kind]["cpu_share"] for kind in KINDS}
        if min(shares.values()) < BUSY_CPU_SHARE:
            busy = ", ".join(
                f"{KIND_LABELS[k]} {v:.0%}" for k, v in shares.items() if v < BUSY_CPU_SHARE
            )
            out.append(
                (
                    "BUSY: other processes took the CPU",
                    "",
                    "",
                    "",
                    f"CPU share of the timed calls: {busy}; wall-clock tails are unreliable, "
                    "see the CPU-time p99",
                )
            )
        if "map_s" in lk:
            out.append(
                (
                    "render_public_map (part of serve start-up)",
                    f"{lk['map_s']:.1f} s",
                    "",
                    "",
                    f"HTML {lk['map_html_mb']:.1f} MB; measured in-process after the lookups",
                )
            )
        elif "map_failed" in lk:
            out.append(("render_public_map", "failed", "", "", lk["map_failed"]))
    return out


def print_table(fig: Figures) -> None:
    """Print the figures with rich when available, else as plain text; then the slow queries."""
    title = f"wabp scale bench: Flanders ({fig['meta']['when']})"
    table_rows = rows(fig)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        width = max(len(r[0]) for r in table_rows)
        for metric, value, target, ok, note in table_rows:
            print(f"  {metric:<{width}}  {value:>14}  {target:>8}  {ok:4}  {note}")
    else:
        table = Table(title=title, title_justify="left")
        for col, justify in (
            ("metric", "left"),
            ("value", "right"),
            ("target", "right"),
            ("", "left"),
            ("ratio / note", "left"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for r in table_rows:
            table.add_row(*r)
        Console(width=None if sys.stdout.isatty() else 150).print(table)

    lk = fig.get("lookup", {})
    if "failed" in lk or not lk:
        return
    for kind in KINDS:
        print(f"slowest {KIND_LABELS[kind]}:")
        for s in lk[kind]["slowest"]:
            gc_note = (
                f"  [GC pause {s['gc_ms']:.0f} ms during the call]"
                if s["gc_ms"] >= GC_PAUSE_MS
                else ""
            )
            again = f" (again: {s['again_us']:,.0f} µs)" if "again_us" in s else ""
            print(f"  {s['us']:>10,.0f} µs{again}  {s['query']!r} -> {s['status']}{gc_note}")
        if lk[kind]["gc_during_calls"]:
            gcs = ", ".join(f"{g} {n}" for g, n in sorted(lk[kind]["gc_during_calls"].items()))
            print(
                f"  GC collections during the calls: {gcs}; longest {lk[kind]['gc_max_ms']:.1f} ms"
            )
    misses = lk["lookup_postcode"]["misses"]
    if misses:
        print(f"{KIND_LABELS['lookup_postcode']}: not answered with the same address (first few):")
        for m in misses:
            print(f"  {m}")
    for kind, prof in lk.get("profiles", {}).items():
        print(
            f"profile of the {len(prof['queries'])} slowest {KIND_LABELS[kind]} queries "
            "without a GC pause (cProfile, by cumulative time, ms per query; rapidfuzz's "
            "compiled calls count as own time of their Python caller):"
        )
        print(f"  {'cumulative':>10}  {'own':>8}  {'calls':>9}  function")
        for t in prof["top_cumulative"]:
            print(
                f"  {t['cumtime_ms_per_query']:>10.2f}  {t['tottime_ms_per_query']:>8.2f}  "
                f"{t['calls']:>9,}  {t['function']}"
            )


def missing_data() -> str | None:
    """Return why the benchmark cannot run (no ../shared/data or a missing input), or None."""
    if not SHARED_DATA.is_dir():
        return "../shared/data not found"
    for path in (FLANDERS_CSV, GGW7_SHP):
        if not path.is_file():
            return f"{path.relative_to(SHARED_DATA.parent.parent)} not found"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run every section, print the table, write the JSON; exit 1 when a section failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    parser.add_argument(
        "--child", choices=("init", "cold", "first", "warm"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)

    if args.child:
        result = {
            "init": child_init,
            "cold": lambda: child_load(cache=False),
            "first": lambda: child_load(cache=True),
            "warm": lambda: child_load(cache=True),
        }[args.child]()
        print(json.dumps(result))
        return 0

    if (why := missing_data()) is not None:
        print(f"skipped: {why} (bench/scale.py needs ../shared/data for the Flanders register)")
        return 0

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    fig: Figures = {
        "meta": {
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dataset": "Flanders (CRAB 2014, 2,767 ggw7 wijken)",
            "data_dir": str(DATASET_DIR),
            "seed": SEED,
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
    }
    at: dict[str, float] = {"start": baseline_us(BASELINE_WARMUP_S)}
    runners: dict[str, Callable[[Figures], None]] = {
        "init": bench_init,
        "load_cold": lambda out: out.update(run_child("cold")),
        "load_warm": bench_load_warm,
        "serve": bench_serve,
        "lookup": lambda out: bench_lookups(at, out),
    }
    for name in SECTIONS:
        if name != "lookup":  # the lookup section takes one baseline per kind
            at[name] = baseline_us(BASELINE_WARMUP_S / 5)
        print(f"{name} ...", flush=True)
        with section(fig, name) as out:
            if name != "init" and "failed" in fig["init"]:
                raise RuntimeError("no Flanders dataset (init failed)")
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
    fig["targets"] = targets(fig)
    ratios: dict[str, float] = {}
    lk = fig.get("lookup", {})
    for kind in KINDS:
        if kind in lk:
            ratios[f"{kind}_median"] = lk[kind]["median_us"] / at[kind]
            ratios[f"{kind}_p99"] = lk[kind]["p99_us"] / at[kind]
    for name in ("load_cold", "load_warm", "serve"):
        if (seconds := fig[name].get("seconds")) is not None:
            ratios[name] = seconds * 1e6 / at[name]
    fig["ratios"] = ratios

    print_table(fig)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fig, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    where = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"figures written to {where}")
    return 1 if any("failed" in fig[name] for name in SECTIONS) else 0


if __name__ == "__main__":
    sys.exit(main())
