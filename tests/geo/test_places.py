"""Place names to postcodes, from bpost's list: what residents type after the street."""

from __future__ import annotations

import pytest

from geo.places import PlaceIndex, read_bpost


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    return PlaceIndex(read_bpost())


@pytest.mark.parametrize(
    ("typed", "postcodes"),
    [
        pytest.param("Alken", {"3570"}, id="Alken"),
        pytest.param("ALKEN", {"3570"}, id="upper case"),
        pytest.param("Alkne", {"3570"}, id="typo"),
        pytest.param("Asse", {"1730"}, id="Asse"),
        pytest.param("Kobbegem", {"1730"}, id="deelgemeente Kobbegem"),
        pytest.param("Zellik", {"1731"}, id="deelgemeente Zellik"),
        pytest.param("Relegem", {"1731"}, id="deelgemeente Relegem"),
        pytest.param("Hasselt", {"3500"}, id="Hasselt"),
    ],
)
def test_resolve(places: PlaceIndex, typed: str, postcodes: set[str]) -> None:
    assert places.resolve(typed) == postcodes


@pytest.mark.parametrize("typed", ["Nergenshuizen", "", "...", "3570"])
def test_unknown_place_is_none(places: PlaceIndex, typed: str) -> None:
    assert places.resolve(typed) is None


def test_a_name_in_two_postcodes_gives_both(places: PlaceIndex) -> None:
    # Sint-Joris is a village in 8620 and in 8730 (not Alken's Sint-Joris, which bpost does not list).
    assert places.resolve("Sint-Joris") == {"8620", "8730"}
    assert places.resolve("St. Joris") == {"8620", "8730"}


def test_name_of_a_postcode(places: PlaceIndex) -> None:
    assert places.name("3570") == "Alken"
    assert places.name("0000") is None


def test_extra_pairs_extend_the_list() -> None:
    places = PlaceIndex([*read_bpost(), ("3570", "Sint-Joris")])
    assert places.resolve("Sint-Joris") == {"3570", "8620", "8730"}
