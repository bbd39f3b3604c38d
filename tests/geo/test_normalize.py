"""Street-name keys: the register's spelling and what residents type must compare equal."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from geo.normalize import expand, fold, place_key, street_key

# Each row: the register's spelling first (CRAB, data/addresses.csv), then typed variants.
EQUAL = [
    pytest.param(
        [
            "St. Jorisstraat",
            "Sint-Jorisstraat",
            "st jorisstr",
            "St Jorisstraat",
            "SINT JORISSTRAAT",
        ],
        id="St. Jorisstraat",
    ),
    pytest.param(
        ["O. L. Vrouwstraat", "Onze-Lieve-Vrouwstraat", "OLV-straat", "O.L.V.-straat", "olvstraat"],
        id="O. L. Vrouwstraat",
    ),
    pytest.param(
        ["Prof. Asnongstraat", "Professor Asnongstraat", "prof asnongstr"],
        id="Prof. Asnongstraat",
    ),
    pytest.param(
        ["Doktoorstraat", "Doktoorstr.", "doktoorstr", "Doktoor straat"], id="Doktoorstr."
    ),
    pytest.param(["Beukenlaan", "Beukenln", "beuken laan"], id="Beukenln"),
    pytest.param(
        ["Klein-Kolmenstraat", "Klein Kolmenstraat", "kleinkolmenstraat"], id="Klein-Kolmenstraat"
    ),
    pytest.param(
        ["Heiligenbornstraat", "Heiligenborn straat", "heiligenbornstr"], id="Heiligenborn"
    ),
    pytest.param(
        ["Claes d'Erckenteelplein", "Claes d Erckenteelplein", "claes derckenteelpl"],
        id="apostrophe",
    ),
    pytest.param(["Rode Kruisplein", "Rode-Kruisplein", "rode kruispl"], id="Rode Kruisplein"),
]


@pytest.mark.parametrize("spellings", EQUAL)
def test_spellings_share_one_key(spellings: list[str]) -> None:
    keys = {street_key(s) for s in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Rode Kruisplein", "Kruisstraat", id="Rode Kruisplein != Kruisstraat"),
        pytest.param("Oude Baan", "Steenweg", id="Oude Baan != Steenweg"),
        pytest.param("Hoogstraat", "Hoogsimsestraat", id="prefix is not equality"),
        pytest.param("Klein Koosterstraat", "Koosterstraat", id="Klein is part of the name"),
    ],
)
def test_different_streets_keep_different_keys(a: str, b: str) -> None:
    assert street_key(a) != street_key(b)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("St. Jorisstraat", "sintjorisstraat"),
        ("O. L. Vrouwstraat", "onzelievevrouwstraat"),
        ("Prof. Asnongstraat", "professorasnongstraat"),
        ("Hasseltsestwg", "hasseltsesteenweg"),
        ("Stationspl", "stationsplein"),
        ("Kapelstraat", "kapelstraat"),
        ("Dr. Willemsstraat", "dokterwillemsstraat"),
    ],
)
def test_street_key_spells_out_abbreviations(name: str, key: str) -> None:
    assert street_key(name) == key


def test_short_words_are_not_taken_for_glued_abbreviations() -> None:
    # "kapl" is no "ka" + "pl(ein)": an ending is only expanded after a stem of four letters or more.
    assert expand("kapl") == "kapl"
    assert expand("kerkstr") == "kerkstraat"


def test_fold_strips_case_accents_and_punctuation() -> None:
    assert fold("Sint-Jorisstraat") == "sint jorisstraat"
    assert fold("  Église   Saint-Rémy ") == "eglise saint remy"
    assert fold("Claes d\u2019Erckenteelplein") == "claes d erckenteelplein"


def test_place_key() -> None:
    assert place_key("Sint-Joris") == place_key("St. Joris") == "sintjoris"
    assert place_key("ALKEN") == "alken"


def test_register_street_keys_are_idempotent(alken_streets: list[str]) -> None:
    # For every real Alken name, keying a key changes nothing.
    assert [n for n in alken_streets if street_key(street_key(n)) != street_key(n)] == []


def test_register_street_keys_are_distinct(alken_streets: list[str]) -> None:
    # Two official streets never collapse onto one key (the matcher would merge them).
    assert len({street_key(n) for n in alken_streets}) == len(alken_streets)


def test_street_key_of_a_key_is_not_always_the_key() -> None:
    # Why the property below is stated on the spaced form: joining the words can glue a short
    # word to an abbreviated ending that was too short to expand on its own ("i r" -> "ir").
    assert street_key("I.R.") == "ir"
    assert street_key("ir") == "ingenieur"


@given(st.text())
@example("St. Jorisstraat")
@example("O. L. Vrouwstraat")
@example("o l v")
@example("p.l")
def test_spaced_normal_form_is_a_fixed_point(text: str) -> None:
    normal = expand(fold(text))
    assert expand(fold(normal)) == normal
    assert street_key(normal) == street_key(text)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_street_key_is_lower_ascii_alphanumeric(text: str) -> None:
    assert street_key(text).isascii()
    assert street_key(text) == street_key(text).lower()
    assert all(c.isalnum() for c in street_key(text))


@given(st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzAEOSTéèëü .-'")))
def test_case_and_hyphens_do_not_change_the_key(text: str) -> None:
    assert street_key(text) == street_key(text.upper()) == street_key(text.replace("-", " "))
