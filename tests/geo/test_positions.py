"""House numbers on a known street: typed numbers to register ids, neighbours, positions and precision."""

from __future__ import annotations

import pytest

from geo.parse import parse_alternatives
from geo.positions import Positions
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
def positions() -> Positions:
    assert [s.name for s in REGISTER.streets] == ["Dorpstraat", "Veldweg"]
    return Positions(REGISTER)


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
def test_find(positions: Positions, typed: str, ids: list[int], box: str | None) -> None:
    parsed = parse_alternatives(typed)[0]
    assert positions.find([DORP], parsed) == [(ids, box)]


def test_neighbours_are_on_the_same_side(positions: Positions) -> None:
    assert positions.neighbours(DORP, "5") == (3, None)  # 1 below; no odd number above
    assert positions.neighbours(DORP, "4") == (0, 2)


def test_positions_and_their_precision(positions: Positions) -> None:
    exact = positions.position(0)
    assert exact.precision == "address" and exact.lonlat is not None
    assert (exact.lonlat.lon, exact.lonlat.lat) == (5.280, 50.875)
    # Number 4 has no position: halfway between 2 and 6 on the even side.
    between = positions.position(1)
    assert between.precision == "interpolated" and between.lonlat is not None
    assert between.lonlat.lon == pytest.approx(5.2828, abs=1e-4)
    assert between.lonlat.lat == pytest.approx(50.875, abs=1e-5)
    # A street without any position has no position to give.
    assert positions.position(5).precision == "street"
    assert positions.position(5).lonlat is None
    assert positions.street_centre(VELD) is None
