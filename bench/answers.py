"""Record every lookup answer on the Alken and Asse corpora, or compare them with a recording.

Run ``.venv/bin/python bench/answers.py --record OUT.json`` before a change and
``.venv/bin/python bench/answers.py --compare OUT.json`` after it: a refactoring of the lookup or
of the assignment must not change a single answer. The queries: every register address typed as
``street number, postcode`` and as its point, every street without a number and with a number the
register lacks, and the noisy cases of ``bench/accuracy.py`` (typos, no place, boxes, ...).

Asse/Zellik needs ``../shared/data`` (built in a temporary directory); without it only Alken runs.
All of Flanders runs when ``bench/results/flanders`` holds the dataset that ``bench/scale.py`` or
``bench/core.py`` builds from ``../shared/data``: a seeded sample of ``--flanders N`` addresses
(typed and as points) and of as many streets (without a number, with one the register lacks);
``--flanders 0`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _datasets import ALKEN_DIR, ASSE_MISSING, asse_dataset_dir, shared_data_missing
from accuracy import build_cases, ground_truth

NOISY_PER_KIND = 300
FLANDERS_SAMPLE = 20_000
SEED = 1


def queries(ds: Any, label: str, sample: int | None = None) -> Iterator[tuple[str, str]]:
    """Yield (kind, query) pairs for a dataset: clean addresses, streets, missing numbers, noise.

    With `sample`, a seeded sample of that many addresses and streets, and no noisy cases (their
    ground truth is built for a municipality, not for all of Flanders).
    """
    reg = ds.register
    rng = random.Random(SEED)
    every = range(len(reg))
    addresses = every if sample is None else sorted(rng.sample(every, min(sample, len(reg))))
    streets = reg.streets
    if sample is not None:
        picked = rng.sample(range(len(streets)), min(sample, len(streets)))
        streets = [streets[i] for i in sorted(picked)]
    for a in addresses:
        street = reg.streets[int(reg.street_of[a])]
        box = f" bus {reg.boxes[a]}" if reg.boxes[a] else ""
        yield "text", f"{street.name} {reg.housenumbers[a]}{box}, {street.postcode}"
        if reg.positioned[a]:
            yield "point", f"{float(reg.lon[a])!r},{float(reg.lat[a])!r}"
    for s in streets:
        yield "text", f"{s.name}, {s.postcode}"
        yield "text", f"{s.name} 999, {s.postcode}"
        yield "text", f"{s.name} 2{len(s.name)}, {s.postcode}"
        yield "text", f"{s.name} 7"
    if sample is not None:
        return
    truths, ctx, _ = ground_truth(ds, label)
    for case in build_cases(truths, ctx, NOISY_PER_KIND, SEED):
        yield "text", case.query


def answers(root: Path, label: str, sample: int | None = None) -> dict[str, str]:
    """Return every answer of a dataset (or of a sample, see `queries`), as JSON text."""
    from zones.dataset import Dataset
    from zones.errors import LookupInputError
    from zones.lookup import Locator

    ds = Dataset.load(root)
    locator = Locator(ds)
    out: dict[str, str] = {}
    for kind, query in queries(ds, label, sample):
        key = f"{label}|{kind}|{query}"
        if key in out:
            continue
        try:
            if kind == "point":
                lon, lat = (float(v) for v in query.split(","))
                result = locator.lookup_point(lon, lat)
            else:
                result = locator.lookup(query)
            out[key] = result.model_dump_json()
        except LookupInputError as exc:
            out[key] = f"error: {exc}"
    return out


def all_answers(flanders: int) -> dict[str, str]:
    """Return the answers of Alken, Asse/Zellik and a sample of Flanders, as far as data allow."""
    out = answers(ALKEN_DIR, "alken")
    if shared_data_missing() is None:
        with asse_dataset_dir() as root:
            out |= answers(root, "asse")
    else:
        print(ASSE_MISSING)
    if flanders:
        from scale import DATASET_DIR, dataset_complete

        if dataset_complete():
            out |= answers(DATASET_DIR, "flanders", sample=flanders)
        else:
            print("Flanders skipped: bench/results/flanders is not built (run bench/scale.py)")
    return out


def main(argv: list[str] | None = None) -> int:
    """Record or compare; exit 1 when an answer differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", type=Path, help="write the answers to this JSON file")
    group.add_argument("--compare", type=Path, help="compare the answers with this JSON file")
    parser.add_argument(
        "--flanders",
        type=int,
        default=FLANDERS_SAMPLE,
        help=f"addresses and streets sampled from all of Flanders (default {FLANDERS_SAMPLE:,})",
    )
    args = parser.parse_args(argv)
    now = all_answers(args.flanders)
    if args.record:
        args.record.write_text(json.dumps(now, ensure_ascii=False), encoding="utf-8")
        print(f"recorded {len(now):,} answers to {args.record}")
        return 0
    before: dict[str, str] = json.loads(args.compare.read_text(encoding="utf-8"))
    common = before.keys() & now.keys()
    changed = sorted(k for k in common if before[k] != now[k])
    print(f"{len(common):,} answers compared; {len(changed):,} differ")
    if before.keys() != now.keys():
        print(
            f"queries only before: {len(before.keys() - now.keys())}, only now: {len(now.keys() - before.keys())}"
        )
    for key in changed[:10]:
        print(f"- {key}\n  before: {before[key]}\n  now:    {now[key]}")
    return 1 if changed or before.keys() != now.keys() else 0


if __name__ == "__main__":
    sys.exit(main())
