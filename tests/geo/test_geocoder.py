"""Register-side resolution: typed numbers to register ids, neighbours, positions and precision."""

from __future__ import annotations

import pytest

from geo.geocoder import Geocoder
from geo.parse import parse_alternatives
from tests.common import register

# Dorpstraat: 2 and 6 positioned 400 m apart on the even side, 4 without a position, 80_2 a
# bisnummer; Veldweg has no position at all.
REGISTER = register(
    ("Dorpstraat", "2", 5.280, 50.875),
    ("Dorpstraat", "4", None, None),
    ("Dorpstraat", "6", 5.2856, 50.875),
    ("Dorpstraat", "1", 5.281, 50.8755),
    ("Dorpstraat", "80_2", 5.282, 50.876),
    ("Veldweg", "1", None, None),
)
DORP, VELD = 0, 1


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    assert [s.name for s in REGISTER.streets] == ["Dorpstraat", "Veldweg"]
    return Geocoder(REGISTER)


@pytest.mark.parametrize(
    ("typed", "ids", "box"),
    [
        pytest.param("Dorpstraat 6", [2], None, id="plain"),
        pytest.param("Dorpstraat 80/2", [4], None, id="bisnummer typed with a slash"),
        pytest.param("Dorpstraat 80 bus 2", [4], None, id="bisnummer typed as a box"),
        pytest.param("Dorpstraat 6 bus 3", [2], "3", id="a box the register lacks stays a box"),
        pytest.param("Dorpstraat 8", [], None, id="not in the register"),
    ],
)
def test_find(geocoder: Geocoder, typed: str, ids: list[int], box: str | None) -> None:
    parsed = parse_alternatives(typed)[0]
    assert geocoder.find([DORP], parsed) == [(ids, box)]


def test_neighbours_are_on_the_same_side(geocoder: Geocoder) -> None:
    assert geocoder.neighbours(DORP, "5") == (3, None)  # 1 below; no odd number above
    assert geocoder.neighbours(DORP, "4") == (0, 2)


def test_positions_and_their_precision(geocoder: Geocoder) -> None:
    exact = geocoder.position(0)
    assert exact.precision == "address" and exact.lonlat is not None
    assert (exact.lonlat.lon, exact.lonlat.lat) == (5.280, 50.875)
    # Number 4 has no position: halfway between 2 and 6 on the even side.
    between = geocoder.position(1)
    assert between.precision == "interpolated" and between.lonlat is not None
    assert between.lonlat.lon == pytest.approx(5.2828, abs=1e-4)
    assert between.lonlat.lat == pytest.approx(50.875, abs=1e-5)
    # A street without any position has no position to give.
    assert geocoder.position(5).precision == "street"
    assert geocoder.position(5).lonlat is None
    assert geocoder.street_centre(VELD) is None
