"""House numbers as the register writes them: number, suffix, parity and order along the street."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.housenumber import HouseNumber, number_key, parse_register_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("12", HouseNumber(12), id="12"),
        pytest.param("30A", HouseNumber(30, "a"), id="30A"),
        pytest.param("27b", HouseNumber(27, "b"), id="27b"),
        pytest.param(" 30 a ", HouseNumber(30, "a"), id="spaced"),
        pytest.param("12bis", HouseNumber(12, "bis"), id="12bis"),
        pytest.param("204_1", HouseNumber(204, "_1"), id="204_1 (sub-number)"),
        pytest.param("zn", None, id="zn (zonder nummer)"),
        pytest.param("A4", None, id="letter first"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_register_number(text: str, expected: HouseNumber | None) -> None:
    assert parse_register_number(text) == expected


def test_str_is_the_register_spelling() -> None:
    assert str(HouseNumber(30, "a")) == "30A"
    assert str(HouseNumber(12)) == "12"


def test_parity() -> None:
    assert HouseNumber(12).parity == "even"
    assert HouseNumber(13, "a").parity == "odd"
    assert HouseNumber(0).parity == "even"


def test_order_along_the_street() -> None:
    numbers = [parse_register_number(t) for t in ["12A", "2", "12", "101", "12B", "13"]]
    assert [str(n) for n in sorted(n for n in numbers if n is not None)] == [
        "2",
        "12",
        "12A",
        "12B",
        "13",
        "101",
    ]


@pytest.mark.parametrize(("text", "key"), [("30 A", "30a"), ("30A", "30a"), (" 12 ", "12")])
def test_number_key(text: str, key: str) -> None:
    assert number_key(text) == key


@given(st.integers(min_value=0, max_value=99_999), st.sampled_from(["", "a", "b", "bis"]))
def test_register_number_round_trips(number: int, suffix: str) -> None:
    parsed = parse_register_number(f"{number}{suffix.upper()}")
    assert parsed == HouseNumber(number, suffix)
    assert number_key(str(parsed)) == f"{number}{suffix}"
