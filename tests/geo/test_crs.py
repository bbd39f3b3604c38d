"""WGS84 <-> Lambert 72 <-> Lambert 2008: a pinned regression point, round trips, input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.crs import (
    LAMBERT72,
    WGS84,
    LambertXY,
    LonLat,
    check_lonlat,
    in_belgium,
    lambert72_to_lonlat_arrays,
    lonlat_to_lambert72_arrays,
    to_lambert72,
    to_lambert2008,
    to_wgs84,
    transformer,
)
from geo.errors import CoordinateError, GeoError

# ECOSYSTEM.md §1.4: the operation PROJ picks without grids and without network. If this moves,
# a grid or PROJ_NETWORK changed the transformation and addresses shift by up to a metre.
REGRESSION_L72 = LambertXY(220000.0, 180000.0)
REGRESSION_WGS84 = LonLat(5.36441799170673, 50.92608056756687)
REGRESSION_L08 = (719997.93, 680008.67)

# Belgium's area of use, slightly inside the bounding box used by `in_belgium`.
belgian_lon = st.floats(min_value=2.55, max_value=6.4)
belgian_lat = st.floats(min_value=49.5, max_value=51.5)


def test_regression_point_to_wgs84() -> None:
    p = to_wgs84(REGRESSION_L72)
    assert isinstance(p, LonLat)
    assert p.lon == pytest.approx(REGRESSION_WGS84.lon, abs=1e-6)
    assert p.lat == pytest.approx(REGRESSION_WGS84.lat, abs=1e-6)


def test_regression_point_to_lambert72() -> None:
    p = to_lambert72(REGRESSION_WGS84)
    assert math.dist(p, REGRESSION_L72) < 0.01


def test_regression_point_to_lambert2008() -> None:
    p = to_lambert2008(REGRESSION_L72)
    assert math.dist(p, REGRESSION_L08) < 0.05


def test_transformers_are_built_once_and_lon_first() -> None:
    assert transformer(WGS84, LAMBERT72) is transformer(WGS84, LAMBERT72)
    # always_xy: lon goes in first and x (the larger, eastward value for Alken) comes out first.
    x, y = transformer(WGS84, LAMBERT72).transform(REGRESSION_WGS84.lon, REGRESSION_WGS84.lat)
    assert (x, y) == pytest.approx(REGRESSION_L72, abs=0.01)


def test_array_functions_agree_with_the_scalar_ones_and_keep_nan() -> None:
    lon = np.array([REGRESSION_WGS84.lon, np.nan, 5.29])
    lat = np.array([REGRESSION_WGS84.lat, np.nan, 50.875])
    x, y = lonlat_to_lambert72_arrays(lon, lat)
    assert (x[0], y[0]) == pytest.approx(REGRESSION_L72, abs=0.01)
    assert np.isnan(x[1]) and np.isnan(y[1])
    assert (x[2], y[2]) == pytest.approx(to_lambert72(LonLat(5.29, 50.875)), abs=1e-6)
    lon2, lat2 = lambert72_to_lonlat_arrays(x, y)
    np.testing.assert_allclose(lon2[[0, 2]], lon[[0, 2]], atol=1e-9)
    np.testing.assert_allclose(lat2[[0, 2]], lat[[0, 2]], atol=1e-9)
    assert np.isnan(lon2[1])


@given(belgian_lon, belgian_lat)
def test_wgs84_lambert72_round_trip_within_1e6_degrees(lon: float, lat: float) -> None:
    back = to_wgs84(to_lambert72(LonLat(lon, lat)))
    assert abs(back.lon - lon) < 1e-6
    assert abs(back.lat - lat) < 1e-6


@given(belgian_lon, belgian_lat)
def test_lambert72_of_belgium_is_in_the_lambert72_range(lon: float, lat: float) -> None:
    p = to_lambert72(LonLat(lon, lat))
    assert 0 < p.x < 320_000
    assert 0 < p.y < 260_000


# -- check_lonlat ----------------------------------------------------------------------------


def test_check_lonlat_returns_a_belgian_position() -> None:
    assert check_lonlat(5.29, 50.875) == LonLat(5.29, 50.875)


@pytest.mark.parametrize(
    ("lon", "lat", "words"),
    [
        pytest.param(50.875, 5.29, "swapped", id="lat/lon swapped"),
        pytest.param(220000.0, 180000.0, "projected metres", id="Lambert 72 metres"),
        pytest.param(719997.93, 680008.67, "projected metres", id="Lambert 2008 metres"),
        pytest.param(2.35, 48.85, "outside Belgium", id="Paris"),
        pytest.param(4.0, 52.5, "outside Belgium", id="North Sea"),
        pytest.param(0.0, 0.0, "outside Belgium", id="null island"),
        pytest.param(math.nan, 50.875, "finite", id="NaN lon"),
        pytest.param(5.29, math.nan, "finite", id="NaN lat"),
        pytest.param(math.inf, 50.875, "finite", id="infinite lon"),
    ],
)
def test_check_lonlat_names_the_mistake(lon: float, lat: float, words: str) -> None:
    with pytest.raises(CoordinateError, match=words):
        check_lonlat(lon, lat)


def test_coordinate_error_is_a_value_error_and_a_geo_error() -> None:
    with pytest.raises(ValueError):
        check_lonlat(50.875, 5.29)
    assert issubclass(CoordinateError, GeoError)


@given(belgian_lon, belgian_lat)
def test_every_belgian_position_passes_and_its_swap_is_named(lon: float, lat: float) -> None:
    assert in_belgium(LonLat(lon, lat))
    assert check_lonlat(lon, lat) == LonLat(lon, lat)
    with pytest.raises(CoordinateError, match="swapped"):
        check_lonlat(lat, lon)


@given(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True)
)
def test_check_lonlat_raises_only_coordinate_error(lon: float, lat: float) -> None:
    try:
        p = check_lonlat(lon, lat)
    except CoordinateError:
        return
    assert in_belgium(p)
