"""Geocoding typed addresses against a small hand-made register of two municipalities.

Alken (3570) and Borgloon (3840, Tongeren-Borgloon since 2025) both have a Kerkstraat and a
Stationsstraat; only Borgloon has a Molenstraat. Dorpstraat (Alken) lacks number 3 between 1 and 5.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo.geocode import Geocode
from geo.geocoder import Geocoder
from geo.matcher import StreetMatcher
from geo.municipalities import with_merged_names
from geo.parse import parse_address
from geo.places import PlaceIndex
from geo.register import AddressRegister

ROWS = [
    # (municipality, postcode, street, number, lon, lat)
    ("Alken", "3570", "Onze-Lieve-Vrouwstraat", "3", 5.290, 50.870),
    ("Alken", "3570", "Kerkstraat", "2", 5.291, 50.871),
    ("Alken", "3570", "Kerkstraat", "10", 5.292, 50.871),
    ("Alken", "3570", "Dorpstraat", "1", 5.300, 50.880),
    ("Alken", "3570", "Dorpstraat", "5", 5.304, 50.880),
    ("Alken", "3570", "Dorpstraat", "2", 5.300, 50.881),
    ("Alken", "3570", "Dorpstraat", "4", None, None),
    ("Alken", "3570", "Stationsstraat", "7", 5.295, 50.875),
    ("Borgloon", "3840", "Kerkstraat", "1", 5.340, 50.800),
    ("Borgloon", "3840", "Kerkstraat", "5", 5.342, 50.800),
    ("Borgloon", "3840", "Molenstraat", "1", 5.345, 50.801),
    ("Borgloon", "3840", "Stationsstraat", "7", 5.344, 50.802),
]


def _register() -> AddressRegister:
    records = [
        {
            "postcode": postcode,
            "municipality": municipality,
            "street": street,
            "housenumber": number,
            "lat": "" if lat is None else repr(lat),
            "lon": "" if lon is None else repr(lon),
        }
        for municipality, postcode, street, number, lon, lat in ROWS
    ]
    return AddressRegister.from_frame(pd.DataFrame(records), source="test rows")


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    register = _register()
    streets = register.streets
    matcher = StreetMatcher([s.name for s in streets], [s.postcode for s in streets])
    # The places as the register side builds them: the register's municipalities, and the 2025
    # name of a merged one (Borgloon -> Tongeren-Borgloon).
    places = PlaceIndex(with_merged_names([("3570", "Alken"), ("3840", "Borgloon")]))
    return Geocoder(register, matcher, places)


def _street(geocoder: Geocoder, g: Geocode) -> tuple[str, str]:
    assert g.street_id is not None
    street = geocoder.register.streets[g.street_id]
    return street.name, street.postcode


def _notices(g: Geocode) -> list[tuple[str, dict[str, str]]]:
    return [(n.code, dict(n.values)) for n in g.notices]


@pytest.mark.parametrize(
    ("typed", "street", "number", "notices"),
    [
        pytest.param("Kerkstraat 2, 3570 Alken", ("Kerkstraat", "3570"), "2", [], id="clean"),
        pytest.param(
            "O.L.Vrouwstraat 3",
            ("Onze-Lieve-Vrouwstraat", "3570"),
            "3",
            [],
            id="abbreviation is the same name",
        ),
        pytest.param(
            "Onze Lieve Vrouwstr. 3, Alken",
            ("Onze-Lieve-Vrouwstraat", "3570"),
            "3",
            [],
            id="spaces for hyphens, str. for straat",
        ),
        pytest.param(
            "Dorpstaat 5, 3570",
            ("Dorpstraat", "3570"),
            "5",
            [("street_corrected", {"street": "Dorpstraat"})],
            id="typo corrected",
        ),
        pytest.param(
            "Kerkstraat 1, 3840",
            ("Kerkstraat", "3840"),
            "1",
            [],
            id="the postcode picks one of two Kerkstraten",
        ),
        pytest.param(
            "Kerkstraat 1, Tongeren-Borgloon",
            ("Kerkstraat", "3840"),
            "1",
            [],
            id="2025 merger name",
        ),
        pytest.param(
            "Kerkstraat 1, Borgloon",
            ("Kerkstraat", "3840"),
            "1",
            [],
            id="former municipality name",
        ),
        pytest.param(
            "Kerkstraat 5",
            ("Kerkstraat", "3840"),
            "5",
            [("place_chosen", {"place": "3840 Borgloon", "number": "5"})],
            id="no place: only one Kerkstraat has number 5",
        ),
        pytest.param(
            "Kerkstraat 1, Atlantis",
            ("Kerkstraat", "3840"),
            "1",
            [
                ("place_ignored", {"place": "Atlantis"}),
                ("place_chosen", {"place": "3840 Borgloon", "number": "1"}),
            ],
            id="unknown place ignored",
        ),
        pytest.param(
            "Kerkstraat 1-5, 3840",
            ("Kerkstraat", "3840"),
            "1",
            [("housenumber_range", {"number": "1"})],
            id="a range: its first number",
        ),
        pytest.param(
            "Kerkstraat 2 bus 3, 3570",
            ("Kerkstraat", "3570"),
            "2",
            [("box_unverified", {"box": "3"})],
            id="a box on a street without boxes",
        ),
    ],
)
def test_found(
    geocoder: Geocoder,
    typed: str,
    street: tuple[str, str],
    number: str,
    notices: list[tuple[str, dict[str, str]]],
) -> None:
    g = geocoder.geocode(typed)
    assert g.status == "found"
    assert _street(geocoder, g) == street
    assert [a.address.housenumber for a in g.addresses] == [number]
    [found] = g.addresses
    assert found.id is not None and geocoder.register.housenumbers[found.id] == number
    assert found.position.precision == "address" and found.notices == ()
    assert _notices(g) == notices


def test_found_address_is_canonical(geocoder: Geocoder) -> None:
    [found] = geocoder.geocode("o l vrouwstraat 3 alken").addresses
    address = found.address
    assert (address.street, address.housenumber, address.postcode, address.municipality) == (
        "Onze-Lieve-Vrouwstraat",
        "3",
        "3570",
        "Alken",
    )
    assert found.position.lonlat is not None
    assert (found.position.lonlat.lon, found.position.lonlat.lat) == (5.290, 50.870)


def test_merged_municipality_is_labelled_with_both_names(geocoder: Geocoder) -> None:
    [found] = geocoder.geocode("Molenstraat 1, Tongeren-Borgloon").addresses
    assert found.address.municipality == "Borgloon"
    assert found.address.municipality_label == "Tongeren-Borgloon (Borgloon)"


def test_address_without_position_is_estimated(geocoder: Geocoder) -> None:
    g = geocoder.geocode("Dorpstraat 4, 3570")
    assert g.status == "found"
    [found] = g.addresses
    assert found.position.precision == "interpolated"
    assert [n.code for n in found.notices] == ["approximate_position"]


def test_missing_number(geocoder: Geocoder) -> None:
    g = geocoder.geocode("Dorpstraat 3, 3570")
    assert g.status == "unknown_number"
    assert _street(geocoder, g) == ("Dorpstraat", "3570")
    [typed] = g.addresses
    assert typed.id is None and typed.address.housenumber == "3"
    assert [(n.code, dict(n.values)) for n in typed.notices] == [
        ("housenumber_not_found", {"number": "3"})
    ]
    # Halfway between 1 and 5 on the odd side.
    assert typed.position.precision == "interpolated" and typed.position.lonlat is not None
    assert typed.position.lonlat.lon == pytest.approx(5.302)
    assert g.street_id is not None
    neighbours = geocoder.neighbours(g.street_id, "3")
    assert [geocoder.register.housenumbers[a] for a in neighbours] == ["1", "5"]


def test_street_without_number(geocoder: Geocoder) -> None:
    g = geocoder.geocode("Dorpstraat, Alken")
    assert g.status == "street"
    [street] = g.addresses
    assert street.id is None and street.address.housenumber is None
    assert street.position.precision == "street" and street.position.lonlat is not None
    assert [n.code for n in street.notices] == ["housenumber_missing"]


@pytest.mark.parametrize(
    ("typed", "postcodes", "with_number", "notices"),
    [
        pytest.param(
            "Stationsstraat 7", ["3570", "3840"], [True, True], [], id="both have the number"
        ),
        pytest.param(
            "Kerkstraat 8", ["3570", "3840"], [False, False], [], id="neither has the number"
        ),
        pytest.param(
            "Molenstraat 1, 3570",
            ["3840"],
            [True],
            ["place_mismatch"],
            id="the street exists, in another municipality",
        ),
    ],
)
def test_ambiguous(
    geocoder: Geocoder,
    typed: str,
    postcodes: list[str],
    with_number: list[bool],
    notices: list[str],
) -> None:
    g = geocoder.geocode(typed)
    assert g.status == "ambiguous"
    assert sorted(c.address.postcode for c in g.candidates) == postcodes
    assert [c.id is not None for c in g.candidates] == with_number
    # A street without the number is offered at its centre, with the number as typed.
    for c in g.candidates:
        if c.id is None:
            assert c.position.precision == "street" and c.address.housenumber == "8"
    assert [n.code for n in g.notices] == notices


@pytest.mark.parametrize(
    ("typed", "status", "postcode"),
    [
        pytest.param("Kerkstraat 1, 9999", "outside", "9999", id="postcode outside the register"),
        pytest.param("Schoolstraat 1", "not_found", None, id="no such street"),
        pytest.param("12", "no_street", None, id="no street typed"),
    ],
)
def test_not_found(geocoder: Geocoder, typed: str, status: str, postcode: str | None) -> None:
    g = geocoder.geocode(typed)
    assert (g.status, g.postcode) == (status, postcode)
    assert g.addresses == [] and g.candidates == []


def test_a_reading_is_geocoded_as_given(geocoder: Geocoder) -> None:
    parsed = parse_address("Kerkstraat 10, 3570")
    g = geocoder.geocode(parsed)
    assert g.query == parsed
    assert g.status == "found" and _street(geocoder, g) == ("Kerkstraat", "3570")


def test_other_places_share_the_positions(geocoder: Geocoder) -> None:
    # A zone set adds its area names as places ("Sint-Joris"): the same register, other places.
    other = geocoder.with_places(PlaceIndex([("3570", "Sint-Joris")]))
    assert other.positions is geocoder.positions
    assert _street(other, other.geocode("Kerkstraat 2, Sint-Joris")) == ("Kerkstraat", "3570")
    assert geocoder.geocode("Kerkstraat 2, Sint-Joris").notices[0].code == "place_ignored"
