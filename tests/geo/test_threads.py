"""Work split over threads: contiguous parts, in order, the answer of a single call."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

import geo.crs
import geo.threads
from geo.crs import LAMBERT72, WGS84, lonlat_to_lambert72_arrays
from geo.threads import map_parts, parts


@pytest.mark.parametrize(
    ("n", "count", "expected"),
    [
        pytest.param(10, 3, [range(0, 3), range(3, 6), range(6, 10)], id="nearly equal"),
        pytest.param(2, 4, [range(0, 1), range(1, 2)], id="no empty part"),
        pytest.param(0, 2, [range(0, 0)], id="nothing: one empty part"),
    ],
)
def test_parts_cover_the_range_in_order(n: int, count: int, expected: list[range]) -> None:
    assert parts(n, count) == expected


def test_map_parts_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geo.threads, "workers", lambda: 2)
    done = map_parts(lambda part: list(part), 1000, 10)
    assert len(done) == 2 * geo.threads.PARTS_PER_WORKER
    assert [i for part in done for i in part] == list(range(1000))
    assert map_parts(lambda part: list(part), 5, 10) == [[0, 1, 2, 3, 4]]  # too small to split


def test_split_transformation_equals_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geo.threads, "workers", lambda: 2)
    monkeypatch.setattr(geo.crs, "POINTS_PER_THREAD", 100)
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(2.6, 5.9, 2000), rng.uniform(50.7, 51.4, 2000)
    lon[::7] = np.nan  # addresses without a position
    x, y = lonlat_to_lambert72_arrays(lon, lat)
    ex, ey = Transformer.from_crs(WGS84, LAMBERT72, always_xy=True).transform(lon, lat)
    assert np.array_equal(x, ex, equal_nan=True) and np.array_equal(y, ey, equal_nan=True)
