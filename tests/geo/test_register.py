"""The address register: CRAB-style and BeST layouts, positions, duplicates, encodings, bad files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.crs import LonLat, to_lambert72
from geo.errors import RegisterError
from geo.register import Address, AddressRegister
from tests.common import FIXTURES


@pytest.fixture(scope="module")
def crab() -> AddressRegister:
    return AddressRegister.from_csv(FIXTURES / "register_crab.csv")


@pytest.fixture(scope="module")
def best() -> AddressRegister:
    return AddressRegister.from_csv(FIXTURES / "register_best.csv")


def keys(register: AddressRegister) -> list[tuple[str, str, str, str]]:
    return sorted((a.street.postcode, a.street.name, a.housenumber, a.box or "") for a in register)


def street_id(register: AddressRegister, name: str) -> int:
    (sid,) = [s.id for s in register.streets if s.name == name]
    return sid


def test_crab_fixture_has_what_it_should(crab: AddressRegister) -> None:
    assert len(crab) == 16
    assert crab.postcodes() == {"3570"}
    assert {s.municipality for s in crab.streets} == {"Alken"}
    assert len(crab.streets) == 7


def test_crab_and_best_layouts_give_the_same_addresses(
    crab: AddressRegister, best: AddressRegister
) -> None:
    assert keys(crab) == keys(best)


def positions(register: AddressRegister) -> dict[tuple[str, str], list[Address]]:
    """Group addresses by (street, number), duplicates ordered south to north, unpositioned last."""
    out: dict[tuple[str, str], list[Address]] = {}
    for a in register:
        out.setdefault((a.street.name, a.housenumber), []).append(a)
    for group in out.values():
        group.sort(key=lambda a: math.inf if a.xy is None else a.xy.y)
    return out


def test_crab_and_best_layouts_give_the_same_positions(
    crab: AddressRegister, best: AddressRegister
) -> None:
    from_crab, from_best = positions(crab), positions(best)
    assert from_crab.keys() == from_best.keys()
    for key, group in from_crab.items():
        for a, b in zip(group, from_best[key], strict=True):
            if a.xy is None or a.lonlat is None:
                assert (b.xy, b.lonlat) == (None, None)
                continue
            assert b.xy is not None and b.lonlat is not None
            # BeST gives Lambert 72 (rounded to mm); CRAB gives lat/lon, projected on load.
            assert math.dist(a.xy, b.xy) < 0.01, key
            assert b.lonlat == pytest.approx(a.lonlat, abs=1e-7)


def test_position_is_projected_from_lat_lon(crab: AddressRegister) -> None:
    sid = street_id(crab, "Heiligenbornstraat")
    (i,) = crab.find(sid, "12")
    a = crab.address(i)
    assert a.lonlat == LonLat(5.256204310151471, 50.87106688580483)
    assert a.xy is not None
    assert math.dist(a.xy, to_lambert72(a.lonlat)) < 1e-6


@pytest.mark.parametrize("name", ["register_crab.csv", "register_best.csv"])
def test_missing_position_gives_no_xy(name: str) -> None:
    register = AddressRegister.from_csv(FIXTURES / name)
    (i,) = register.find(street_id(register, "Alkerstraat"), "30A")
    a = register.address(i)
    assert (a.xy, a.lonlat) == (None, None)
    assert not register.positioned[i]
    assert np.isnan(register.x[i]) and np.isnan(register.lat[i])
    assert int(register.positioned.sum()) == 13


def test_duplicate_key_is_kept(crab: AddressRegister) -> None:
    found = crab.find(street_id(crab, "St. Jorisstraat"), "12")
    assert len(found) == 2
    a, b = (crab.address(i) for i in found)
    assert a.xy is not None and b.xy is not None
    assert 5 < math.dist(a.xy, b.xy) < 20  # two terrain objects, about 11 m apart


@pytest.mark.parametrize("typed", ["30A", "30a", "30 A", " 30a "])
def test_house_number_lookup_ignores_case_and_spaces(crab: AddressRegister, typed: str) -> None:
    (i,) = crab.find(street_id(crab, "Alkerstraat"), typed)
    assert crab.housenumbers[i] == "30A"


def test_unknown_number_or_street_finds_nothing(crab: AddressRegister) -> None:
    assert crab.find(street_id(crab, "Alkerstraat"), "30") == []
    assert crab.find(street_id(crab, "Alkerstraat"), "30B") == []
    assert crab.find(len(crab.streets) + 5, "1") == []


def test_on_street_and_streets_in(crab: AddressRegister) -> None:
    sid = street_id(crab, "Heiligenbornstraat")
    assert sorted(crab.housenumbers[i] for i in crab.on_street(sid)) == [
        "10",
        "12",
        "12A",
        "14",
        "17A",
    ]
    assert sorted(crab.streets_in(["3570"])) == [s.id for s in crab.streets]
    assert crab.streets_in(["1730"]) == []


def test_address_label_and_number(crab: AddressRegister) -> None:
    (i,) = crab.find(street_id(crab, "Heiligenbornstraat"), "17A")
    a = crab.address(i)
    assert a.label() == "Heiligenbornstraat 17A, 3570 Alken"
    assert a.number is not None and (a.number.number, a.number.suffix) == (17, "a")


def test_apostrophe_in_street_name_survives(crab: AddressRegister) -> None:
    assert "Claes d'Erckenteelplein" in {s.name for s in crab.streets}


def test_latin1_file_reads() -> None:
    register = AddressRegister.from_csv(FIXTURES / "register_latin1.csv")
    names = {(s.name, s.municipality) for s in register.streets}
    assert ("Rue de l'Académie", "Liège") in names
    assert ("Doktoorstraat", "Alken") in names


def test_unknown_layout_raises_naming_the_columns() -> None:
    with pytest.raises(RegisterError) as info:
        AddressRegister.from_csv(FIXTURES / "register_unknown_layout.csv")
    message = str(info.value)
    assert "register_unknown_layout.csv" in message
    for column in ("postcode", "street", "housenumber", "lat", "lon", "streetname_nl"):
        assert column in message


def test_best_layout_without_coordinates_is_refused() -> None:
    raw = pd.DataFrame(
        {"streetname_nl": ["Kerkstraat"], "house_number": ["1"], "postcode": ["3570"]}
    )
    with pytest.raises(RegisterError, match="EPSG:31370_x"):
        AddressRegister.from_frame(raw)


def test_best_layout_with_wgs84_columns() -> None:
    raw = pd.DataFrame(
        {
            "streetname_nl": ["Heiligenbornstraat"],
            "house_number": ["12"],
            "box_number": ["3"],
            "postcode": ["3570"],
            "municipality_name_nl": ["Alken"],
            "EPSG:4326_lat": ["50.87106688580483"],
            "EPSG:4326_lon": ["5.256204310151471"],
        }
    )
    a = AddressRegister.from_frame(raw).address(0)
    assert a.box == "3"
    assert a.label() == "Heiligenbornstraat 12 bus 3, 3570 Alken"
    assert a.xy is not None
    assert math.dist(a.xy, (212465.642, 173784.039)) < 0.01


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "adressen.csv"
    path.write_text(
        "postcode;street;housenumber;lat;lon\n3570;Doktoorstraat;3;50,87410469306298;5,303643026908005\n",
        encoding="utf-8",
    )
    a = AddressRegister.from_csv(path).address(0)
    assert a.lonlat == pytest.approx((5.303643026908005, 50.87410469306298))


@pytest.mark.parametrize(
    "lat",
    [
        pytest.param("50.87410469306298", id="numbers: parsed by the CSV reader"),
        pytest.param("geen", id="text in a coordinate column: read as text, that row unpositioned"),
    ],
)
def test_padded_values_and_coordinates(tmp_path: Path, lat: str) -> None:
    path = tmp_path / "adressen.csv"
    path.write_text(
        "postcode, street ,housenumber, lat ,lon\n"
        f" 3570 , Doktoorstraat ,3 ,{lat},5.303643026908005\n"
        "3570,Doktoorstraat, 5,,\n",
        encoding="utf-8",
    )
    register = AddressRegister.from_csv(path)
    assert [(s.postcode, s.name) for s in register.streets] == [("3570", "Doktoorstraat")]
    assert register.housenumbers == ["3", "5"]
    assert not register.positioned[1]
    assert bool(register.positioned[0]) == (lat != "geen")


def test_rows_without_street_or_number_are_dropped() -> None:
    raw = pd.DataFrame(
        {
            "postcode": ["3570", "3570", "3570"],
            "street": ["Doktoorstraat", "", "Doktoorstraat"],
            "housenumber": ["3", "5", ""],
            "lat": ["", "", ""],
            "lon": ["", "", ""],
        }
    )
    register = AddressRegister.from_frame(raw)
    assert [(a.street.name, a.housenumber) for a in register] == [("Doktoorstraat", "3")]


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="no such address file"):
        AddressRegister.from_csv(tmp_path / "nope.csv")


def test_empty_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "leeg.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(RegisterError):
        AddressRegister.from_csv(path)


def test_alken_register(alken_register: AddressRegister) -> None:
    # The shipped CRAB extract: 4,574 addresses on 135 streets, all in 3570 Alken.
    assert len(alken_register) == 4574
    assert len(alken_register.streets) == 135
    assert alken_register.postcodes() == {"3570"}
    xy = np.c_[alken_register.x, alken_register.y][alken_register.positioned]
    # Every position lies in Alken's Lambert 72 box (roughly 208-217 km E, 170-177 km N).
    assert xy[:, 0].min() > 205_000 and xy[:, 0].max() < 220_000
    assert xy[:, 1].min() > 168_000 and xy[:, 1].max() < 180_000


def test_find_many_agrees_with_find_on_every_alken_street(alken_register: AddressRegister) -> None:
    reg = alken_register
    streets = list(range(len(reg.streets)))
    for number in ["1", "12", "30A", "30a", "106A", "999", "zn"]:
        many = reg.find_many(streets, number)
        assert many == [reg.find(s, number) for s in streets]
        for s, ids in zip(streets, many, strict=True):
            assert all(int(reg.street_of[a]) == s for a in ids)
            assert all(reg.housenumbers[a].lower() == number.lower() for a in ids)


def test_bisnummers_and_letter_first_numbers_are_their_own_keys() -> None:
    # Real CRAB rows (Asse 1730, Halle 1502): 80 and its bisnummer 80_2, a letter-first A7.
    frame = pd.DataFrame(
        {
            "postcode": ["1730", "1730", "1502", "1502"],
            "street": ["Bergestraat", "Bergestraat", "Prinsenbos", "Prinsenbos"],
            "housenumber": ["80", "80_2", "A7", "10"],
            "lat": ["50.901542523", "", "50.717971060", "50.716998295"],
            "lon": ["4.210515401", "", "4.218926485", "4.220790225"],
        }
    )
    reg = AddressRegister.from_frame(frame)
    berge, prinsenbos = (next(s.id for s in reg.streets if s.name == n) for n in frame.street[1:3])
    assert [reg.housenumbers[a] for a in reg.find(berge, "80_2")] == ["80_2"]
    assert [reg.housenumbers[a] for a in reg.find(berge, "80")] == ["80"]
    assert reg.find(berge, "80_1") == []
    assert [reg.housenumbers[a] for a in reg.find(prinsenbos, "a7")] == ["A7"]
    assert reg.numbers[reg.find(berge, "80_2")[0]] == 80
    assert reg.numbers[reg.find(prinsenbos, "A7")[0]] == -1  # no side of the street known
