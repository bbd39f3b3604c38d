"""Addresses as residents type them, on real CRAB rows from several Flemish municipalities.

The register below is copied from ``../shared/data`` (CRAB 2014, all of Flanders; the municipality
of the Asse rows from the Alken/Asse extract, the others have none there): bisnummers
(``80_2``), street names holding numbers (``Z. 4 Broekooi``, ``3e Regt.Lansiersstraat``,
``20ste Zijweg``), a letter-first house number (``Prinsenbos A7``) and one street name in several
postcodes (Molenstraat, Brusselsesteenweg). The dataset has no zones: these tests are about which
address is found, so a found address answers ``no_zone``.
"""

from __future__ import annotations

import pytest

from zones.dataset import Dataset
from zones.lookup import Locator
from zones.results import LookupResult

REGISTER = """\
postcode,municipality,street,housenumber,lat,lon
1502,,Prinsenbos,10,50.716998295,4.220790225
1502,,Prinsenbos,12,50.717027068,4.220723157
1502,,Prinsenbos,A7,50.717971060,4.218926485
1730,Asse,Bergestraat,27,50.905497370,4.206913294
1730,Asse,Bergestraat,27_1,,
1730,Asse,Bergestraat,27_2,,
1730,Asse,Bergestraat,78,50.901696481,4.210492281
1730,Asse,Bergestraat,80,50.901542523,4.210515401
1730,Asse,Bergestraat,80_2,,
1730,Asse,Bergestraat,82,50.901465482,4.210781782
1730,Asse,Brusselsesteenweg,10,50.904962297,4.209469924
1730,Asse,Brusselsesteenweg,12,50.904929478,4.209530599
1730,Asse,Brusselsesteenweg,129,50.901110458,4.217687595
1730,Asse,Brusselsesteenweg,129_1,,
1730,Asse,Z. 5 Mollem,200,,
1730,Asse,Z. 5 Mollem,210,,
1730,Asse,Z. 5 Mollem,220,50.917743195,4.229357837
1731,Asse,Brusselsesteenweg,351,50.894688256,4.243995149
1731,Asse,Brusselsesteenweg,461,50.886164534,4.271707636
1731,Asse,Brusselsesteenweg,463,50.886073900,4.271681958
1731,Asse,Z. 4 Broekooi,140,50.896312616,4.251425818
1731,Asse,Z. 4 Broekooi,150,50.896690868,4.249697394
1731,Asse,Z. 4 Broekooi,160,50.894197276,4.247904649
1770,,20ste Zijweg,14,50.868133543,4.095221322
1770,,20ste Zijweg,16,50.868261231,4.095391762
1770,,20ste Zijweg,17,50.868155364,4.095597936
1770,,20ste Zijweg,19,50.868231282,4.095695374
1770,,20ste Zijweg,22,50.868404879,4.095583277
1770,,20ste Zijweg,24,50.868517438,4.095742726
1770,,20ste Zijweg,4,50.867995218,4.095038159
1770,,20ste Zijweg,9,50.867947525,4.095481232
3350,,3e Regt.Lansiersstraat,17,,
3350,,3e Regt.Lansiersstraat,19,50.805049922,5.067215149
3350,,3e Regt.Lansiersstraat,21,50.805198676,5.067144861
1570,,Molenstraat,40,50.765812559,4.030759710
1730,Asse,Molenstraat,40,50.909119993,4.205733683
1651,,Molenstraat,41,50.763745184,4.273812978
"""


@pytest.fixture(scope="module")
def flemish(tmp_path_factory: pytest.TempPathFactory) -> Locator:
    """Return a locator over the register above (no zones)."""
    root = tmp_path_factory.mktemp("flemish")
    (root / "addresses.csv").write_text(REGISTER, encoding="utf-8")
    return Locator(Dataset.load(root, cache=False))


def found(result: LookupResult) -> tuple[str, str | None, str]:
    assert result.status == "no_zone", result.message
    assert result.address is not None
    return result.address.street, result.address.housenumber, result.address.postcode


def codes(result: LookupResult) -> list[str]:
    return [w.code for w in result.warnings]


@pytest.mark.parametrize(
    "query",
    [
        "Bergestraat 80_2, 1730 Asse",
        "Bergestraat 80/2, 1730 Asse",
        "Bergestraat 80 / 2",
        "Bergestraat 80 bus 2, 1730",
        "bergestraat80_2",
    ],
)
def test_a_bisnummer_is_found_however_it_is_written(flemish: Locator, query: str) -> None:
    result = flemish.lookup(query)
    assert found(result) == ("Bergestraat", "80_2", "1730")
    assert result.address is not None and result.address.box is None
    assert "box_unverified" not in codes(result)


def test_the_main_number_of_a_bisnummer_is_itself(flemish: Locator) -> None:
    assert found(flemish.lookup("Bergestraat 80, 1730 Asse")) == ("Bergestraat", "80", "1730")
    assert found(flemish.lookup("Bergestraat 27, 1730 Asse")) == ("Bergestraat", "27", "1730")


def test_a_box_the_register_lacks_stays_a_box(flemish: Locator) -> None:
    # Bergestraat has 80_2 but no 82_3: "82/3" is box 3 of number 82, never another house.
    result = flemish.lookup("Bergestraat 82/3, 1730 Asse")
    assert found(result) == ("Bergestraat", "82", "1730")
    assert result.address is not None and result.address.box == "3"
    assert "box_unverified" in codes(result)


@pytest.mark.parametrize(
    ("query", "street", "number", "postcode"),
    [
        ("Z. 4 Broekooi 150, 1731 Asse", "Z. 4 Broekooi", "150", "1731"),
        ("Z. 4 Broekooi 150", "Z. 4 Broekooi", "150", "1731"),
        ("z. 4 broekooi150, 1731", "Z. 4 Broekooi", "150", "1731"),
        ("Z. 5 Mollem 210, 1730 Asse", "Z. 5 Mollem", "210", "1730"),
        ("3e Regt.Lansiersstraat 19, 3350", "3e Regt.Lansiersstraat", "19", "3350"),
        ("3e Regt. Lansiersstraat 21", "3e Regt.Lansiersstraat", "21", "3350"),
        ("20ste Zijweg 16, 1770", "20ste Zijweg", "16", "1770"),
        ("20ste-Zijweg 9", "20ste Zijweg", "9", "1770"),
    ],
)
def test_digits_in_the_street_name_are_not_the_house_number(
    flemish: Locator, query: str, street: str, number: str, postcode: str
) -> None:
    assert found(flemish.lookup(query)) == (street, number, postcode)


def test_a_typo_in_a_street_name_with_digits(flemish: Locator) -> None:
    result = flemish.lookup("Z. 4 Broekoi 150, 1731 Asse")
    assert found(result) == ("Z. 4 Broekooi", "150", "1731")
    assert "street_corrected" in codes(result)


@pytest.mark.parametrize("query", ["Prinsenbos A7, 1502", "prinsenbos a7", "Prinsenbos a 7"])
def test_a_letter_first_house_number(flemish: Locator, query: str) -> None:
    if query == "Prinsenbos a 7":
        # "a 7" is not how CRAB writes it, and "a" may be a word: never a confident A7 nor 7.
        assert flemish.lookup(query).status in ("ambiguous", "not_found", "no_zone")
        return
    assert found(flemish.lookup(query)) == ("Prinsenbos", "A7", "1502")


def test_a_name_in_several_postcodes_is_settled_by_the_house_number(flemish: Locator) -> None:
    # Molenstraat 41 exists in 1651 only; Molenstraat 40 in 1570 and 1730.
    result = flemish.lookup("Molenstraat 41")
    assert found(result) == ("Molenstraat", "41", "1651")
    assert codes(result) == ["place_chosen"]
    assert "1651" in result.warnings[0].message
    both = flemish.lookup("Molenstraat 40")
    assert both.status == "ambiguous"
    # The streets with the number come first, at that address; then the other street.
    at = {c.address.postcode: c.location for c in both.candidates}
    assert [c.address.postcode for c in both.candidates][2:] == ["1651"]
    assert at["1570"] is not None and round(at["1570"].lat, 6) == 50.765813
    assert at["1730"] is not None and round(at["1730"].lat, 6) == 50.90912


def test_a_place_with_two_postcodes_is_settled_by_the_house_number(flemish: Locator) -> None:
    # Asse is 1730 and 1731; Brusselsesteenweg 461 is only in 1731, 10 only in 1730.
    assert found(flemish.lookup("Brusselsesteenweg 461, Asse")) == (
        "Brusselsesteenweg",
        "461",
        "1731",
    )
    assert found(flemish.lookup("Brusselsesteenweg 10")) == ("Brusselsesteenweg", "10", "1730")


def test_a_number_on_neither_street_stays_ambiguous(flemish: Locator) -> None:
    result = flemish.lookup("Brusselsesteenweg 9999")
    assert result.status == "ambiguous"
    assert {c.address.postcode for c in result.candidates} == {"1730", "1731"}


# -- Alken (the shipped dataset) -------------------------------------------------------------------
@pytest.mark.parametrize("query", ["Motlenstraat 5, 3570 Alken", "Motlenstraat 5"])
def test_a_typo_goes_to_the_street_fewest_edits_away(locator: Locator, query: str) -> None:
    # "Motlenstraat" is one letter from Molenstraat and three from Motstraat, which shares its
    # first three letters: Jaro-Winkler alone preferred Motstraat, a real street in another group.
    result = locator.lookup(query)
    assert result.status == "found"
    assert result.address is not None and result.address.street == "Molenstraat"
    assert "street_corrected" in codes(result)


def test_a_typo_only_one_edit_nearer_one_street_asks(locator: Locator) -> None:
    # One edit from Grootstraat, two from Grotstraat, and both have a number 12: the resident
    # picks; neither is assumed.
    result = locator.lookup("Grootsrtaat 12, 3570 Alken")
    assert result.status == "ambiguous"
    assert [c.address.street for c in result.candidates] == ["Grootstraat", "Grotstraat"]


def test_of_two_existing_streets_the_one_with_the_number_is_taken(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Real Antwerp port streets "Kanaaldok B1" and "Kanaaldok B2"; with a street "Kanaaldok" too,
    # "Kanaaldok B1 516" could be number B1 of Kanaaldok: the register says 516 is on Kanaaldok B1.
    root = tmp_path_factory.mktemp("kanaaldok")
    (root / "addresses.csv").write_text(
        "postcode,street,housenumber,lat,lon\n"
        "2040,Kanaaldok B1,516,,\n"
        "2040,Kanaaldok B2,538,,\n"
        "2040,Kanaaldok,12,,\n",
        encoding="utf-8",
    )
    locator = Locator(Dataset.load(root, cache=False))
    assert found(locator.lookup("Kanaaldok B1 516")) == ("Kanaaldok B1", "516", "2040")
    assert found(locator.lookup("Kanaaldok 12")) == ("Kanaaldok", "12", "2040")
