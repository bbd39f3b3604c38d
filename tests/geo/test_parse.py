"""Splitting what residents type into street, house number, box, postcode and place."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.parse import ParsedAddress, parse_address, parse_alternatives

A = ParsedAddress

CASES = [
    pytest.param(
        "Heiligenbornstraat 12, 3570 Alken",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="Heiligenbornstraat 12, 3570 Alken",
    ),
    pytest.param("motstraat10", A("motstraat", "10"), id="motstraat10"),
    pytest.param("Kerkstraat 12 bus 3", A("Kerkstraat", "12", box="3"), id="12 bus 3"),
    pytest.param("Kerkstraat 12 bte 3", A("Kerkstraat", "12", box="3"), id="12 bte 3"),
    pytest.param("Kerkstraat 12/3", A("Kerkstraat", "12", box="3"), id="12/3"),
    pytest.param("Kerkstraat 12 b3", A("Kerkstraat", "12", box="3"), id="12 b3"),
    pytest.param("Kerkstraat 12 b.3", A("Kerkstraat", "12", box="3"), id="12 b.3"),
    pytest.param("Kerkstraat 12A bus 3", A("Kerkstraat", "12a", box="3"), id="12A bus 3"),
    pytest.param("Kerkstraat 12-14", A("Kerkstraat", "12", range_end="14"), id="12-14"),
    pytest.param(
        "Kerkstraat 12\u201314", A("Kerkstraat", "12", range_end="14"), id="12-14 en dash"
    ),
    pytest.param("Beukenlaan 12A", A("Beukenlaan", "12a"), id="12A"),
    pytest.param("Beukenlaan 12a", A("Beukenlaan", "12a"), id="12a"),
    pytest.param("Beukenlaan 30 A", A("Beukenlaan", "30a"), id="30 A"),
    pytest.param("Steenweg 12bis", A("Steenweg", "12bis"), id="12bis"),
    pytest.param(
        "3570 Alken, Beukenlaan 4",
        A("Beukenlaan", "4", postcode="3570", place="Alken"),
        id="3570 Alken, Beukenlaan 4",
    ),
    pytest.param("12 Heiligenbornstraat", A("Heiligenbornstraat", "12"), id="number first"),
    pytest.param("Heiligenbornstraat", A("Heiligenbornstraat"), id="street only"),
    pytest.param(
        "Heiligenbornstraat 12, 3570 Alken, België",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="België suffix",
    ),
    pytest.param(
        "Heiligenbornstraat 12, 3570 Alken, Belgique",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="Belgique suffix",
    ),
    pytest.param(
        "Heiligenbornstraat 12 3570 Alken",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="no commas",
    ),
    pytest.param(
        "Heiligenbornstraat 12; 3570 Alken",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="semicolon",
    ),
    pytest.param(
        "  Heiligenbornstraat   12 ,\t3570\nAlken ",
        A("Heiligenbornstraat", "12", postcode="3570", place="Alken"),
        id="stray whitespace",
    ),
    pytest.param(
        "Heiligenbornstraat 12, Alken",
        A("Heiligenbornstraat", "12", place="Alken"),
        id="place without postcode",
    ),
    pytest.param(
        "St. Jorisstraat 5 bus 3",
        A("St. Jorisstraat", "5", box="3"),
        id="abbreviated street with box",
    ),
    pytest.param("O. L. Vrouwstraat 106A", A("O. L. Vrouwstraat", "106a"), id="initials in name"),
    pytest.param("", A(""), id="empty"),
    # CRAB bisnummers (Asse): the parser gives number and box; the register decides which it is.
    pytest.param("Bergestraat 80_2", A("Bergestraat", "80", box="2"), id="bisnummer 80_2"),
    pytest.param("Bergestraat 80/2", A("Bergestraat", "80", box="2"), id="bisnummer 80/2"),
    # Letter-first house numbers (CRAB: Prinsenbos A7, Halle).
    pytest.param("Prinsenbos A7, 1502", A("Prinsenbos", "a7", postcode="1502"), id="A7"),
    pytest.param("Prinsenbos B18 bus 2", A("Prinsenbos", "b18", box="2"), id="B18 bus 2"),
    # Digits glued to a word are part of the street name (20ste Zijweg, Ternat).
    pytest.param("20ste-Zijweg 9", A("20ste-Zijweg", "9"), id="20ste-Zijweg 9"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_address(text: str, expected: ParsedAddress) -> None:
    assert parse_address(text) == expected


def test_postcode_alone_is_not_a_street() -> None:
    parsed = parse_address("3570")
    assert parsed.postcode == "3570"
    assert parsed.street == ""


@given(st.text(max_size=300))
def test_parse_address_never_raises(text: str) -> None:
    parsed = parse_address(text)
    assert isinstance(parsed.street, str)
    # Whatever it finds comes from the text: a postcode is four digits that were typed.
    if parsed.postcode is not None:
        assert re.fullmatch(r"[1-9]\d{3}", parsed.postcode)
        assert parsed.postcode in text
    if parsed.housenumber is not None:
        # CRAB has letter-first numbers (A9, B55): at most one letter before the digits.
        digits = re.match(r"[^\W\d_]?(\d+)", parsed.housenumber)
        assert digits is not None and digits.group(1) in text


@given(
    st.sampled_from(
        ["Heiligenbornstraat", "St. Jorisstraat", "O. L. Vrouwstraat", "Rode Kruisplein"]
    ),
    st.integers(min_value=1, max_value=9999),
    st.sampled_from(["", "a", "B"]),
    st.sampled_from(["", " bus 2", "/2", " bte 2", " b2"]),
)
def test_street_number_and_box_come_back_apart(
    street: str, number: int, suffix: str, box: str
) -> None:
    parsed = parse_address(f"{street} {number}{suffix}{box}, 3570 Alken")
    assert parsed.street == street
    assert parsed.housenumber == f"{number}{suffix.lower()}"
    assert parsed.box == ("2" if box else None)
    assert (parsed.postcode, parsed.place) == ("3570", "Alken")


@pytest.mark.parametrize(
    ("text", "splits"),
    [
        pytest.param(
            "Z. 4 Broekooi 150, 1731 Asse",
            [("Z.", "4"), ("Z. 4 Broekooi", "150")],
            id="Z. 4 Broekooi (Asse)",
        ),
        pytest.param(
            "3e Regt.Lansiersstraat 19",
            [("Regt.Lansiersstraat", "3e"), ("3e Regt.Lansiersstraat", "19")],
            id="3e Regt.Lansiersstraat (Sint-Truiden)",
        ),
        pytest.param(
            "Kanaaldok B1 5", [("Kanaaldok", "b1"), ("Kanaaldok B1", "5")], id="Kanaaldok B1"
        ),
        pytest.param("Heiligenbornstraat 12", [("Heiligenbornstraat", "12")], id="one split"),
    ],
)
def test_every_split_of_a_street_name_with_digits_is_offered(
    text: str, splits: list[tuple[str, str]]
) -> None:
    options = parse_alternatives(text)
    assert [(o.street, o.housenumber) for o in options] == splits
    assert options[0] == parse_address(text)


def test_the_split_keeps_the_place() -> None:
    last = parse_alternatives("Z. 4 Broekooi 150, 1731 Asse")[-1]
    assert (last.postcode, last.place) == ("1731", "Asse")
