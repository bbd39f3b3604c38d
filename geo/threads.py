"""Large numeric work split over a few threads.

PROJ, GEOS (shapely's vectorised functions) and numpy release the GIL while they compute, so a
transformation of millions of points or a point-in-polygon pass over thousands of zones runs on
every core the process may use. The parts are contiguous and their results come back in order:
the outcome is the one a single call gives.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

MAX_WORKERS = 4


def workers() -> int:
    """Return how many threads large work is split over: the CPUs this process may use (max 4)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, available))


def parts(n: int, count: int) -> list[range]:
    """Return `count` contiguous, nearly equal ranges covering ``range(n)`` (fewer when n is small)."""
    count = max(1, min(count, n))
    bounds = [n * i // count for i in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


# Parts per thread: uneven parts (dense cities, empty fields) even out over several.
PARTS_PER_WORKER = 4


def map_parts(fn: Callable[[range], T], n: int, min_part: int) -> list[T]:
    """Return ``fn(part)`` for contiguous parts of ``range(n)``, in order, on several threads.

    Parts hold at least `min_part` items; work too small to split runs in this thread.
    """
    threads = workers()
    split = parts(n, min(threads * PARTS_PER_WORKER, n // max(min_part, 1)))
    if len(split) <= 1 or threads == 1:
        return [fn(range(n))]
    with ThreadPoolExecutor(min(threads, len(split)), thread_name_prefix="wabp-part") as pool:
        return list(pool.map(fn, split))
