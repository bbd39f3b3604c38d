"""Which WABP group is mine? Lookups against the shipped Alken dataset."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo.crs import LambertXY, LonLat, to_lambert72
from zones.dataset import Dataset
from zones.errors import LookupInputError
from zones.lookup import MAX_QUERY_LENGTH, Locator
from zones.results import Location, LookupResult

GROUPS = [
    "moggeweide",
    "klameer-hamee",
    "heiligenborn",
    "terkoest-zuid",
    "langveld",
    "kolmen",
    "waterkant",
    "terkoest",
    "sint-joris",
]


def codes(result: LookupResult) -> list[str]:
    return [w.code for w in result.warnings]


def zone_ids(result: LookupResult) -> list[str]:
    return [z.id for z in result.zones]


def metres(location: Location | None, xy: LambertXY) -> float:
    assert location is not None
    return math.dist(to_lambert72(LonLat(location.lon, location.lat)), xy)


def test_the_dataset_has_the_nine_groups(alken: Dataset) -> None:
    assert [z.id for z in alken.zones] == GROUPS


@pytest.mark.parametrize("group", GROUPS)
def test_one_real_address_per_group(alken: Dataset, locator: Locator, group: str) -> None:
    # The first positioned register address that the table puts in this group (and only there).
    reg = alken.register
    a = next(
        a for a in range(len(reg)) if reg.positioned[a] and alken.table[a].zone_ids == (group,)
    )
    address = reg.address(a)
    assert address.xy is not None
    result = locator.lookup(address.label())
    assert result.status == "found"
    assert zone_ids(result) == [group]
    assert result.precision == "address"
    assert result.address is not None
    assert (result.address.street, result.address.housenumber) == (
        address.street.name,
        address.housenumber,
    )
    assert metres(result.location, address.xy) < 1.0
    assert result.actions == ["join_group"]
    assert alken.zones.get(group).name in result.message


def test_heiligenbornstraat_12(locator: Locator) -> None:
    result = locator.lookup("Heiligenbornstraat 12, 3570 Alken")
    assert result.status == "found"
    assert [(z.id, z.name, z.area) for z in result.zones] == [
        ("heiligenborn", "WABP Heiligenborn", "Sint-Joris")
    ]
    assert result.address is not None
    assert result.address.model_dump() == {
        "street": "Heiligenbornstraat",
        "housenumber": "12",
        "box": None,
        "postcode": "3570",
        "municipality": "Alken",
        "municipality_label": "Alken",
    }
    assert result.warnings == []
    assert result.message.startswith(
        "Heiligenbornstraat 12, 3570 Alken hoort bij WABP Heiligenborn"
    )


@pytest.mark.parametrize(
    ("query", "street", "number", "group", "warnings"),
    [
        pytest.param(
            "heiligenbornstraat 12",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            [],
            id="lower case, no postcode",
        ),
        pytest.param(
            "HEILIGENBORNSTRAAT 12, ALKEN",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            [],
            id="upper case",
        ),
        pytest.param(
            "12 Heiligenbornstraat",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            [],
            id="number first",
        ),
        pytest.param(
            "Heiligenbornstraat 12a",
            "Heiligenbornstraat",
            "12A",
            "heiligenborn",
            [],
            id="12a for 12A",
        ),
        pytest.param("motstraat10", "Motstraat", "10", "klameer-hamee", [], id="motstraat10"),
        pytest.param("Doktoorstr 3", "Doktoorstraat", "3", "moggeweide", [], id="Doktoorstr 3"),
        pytest.param(
            "St Jorisstraat 12, Alken",
            "St. Jorisstraat",
            "12",
            "sint-joris",
            [],
            id="St Jorisstraat 12, Alken",
        ),
        pytest.param(
            "Sint-Jorisstraat 12", "St. Jorisstraat", "12", "sint-joris", [], id="Sint-Jorisstraat"
        ),
        pytest.param("Beukenln 1", "Beukenlaan", "1", "terkoest-zuid", [], id="Beukenln"),
        pytest.param(
            "Heiligenbronstraat 12",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            ["street_corrected"],
            id="typo in street",
        ),
        pytest.param(
            "Moggeweide 1",
            "Moggeweidestraat",
            "1",
            "moggeweide",
            ["street_corrected"],
            id="Moggeweide without straat",
        ),
        pytest.param(
            "Heiligenbornstraat 12 bus 3",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            ["box_unverified"],
            id="bus 3",
        ),
        pytest.param(
            "Heiligenbornstraat 12/3, 3570 Alken",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            ["box_unverified"],
            id="12/3",
        ),
        pytest.param(
            "Heiligenbornstraat 12 b.3",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            ["box_unverified"],
            id="12 b.3",
        ),
        pytest.param(
            "Heiligenbornstraat 12, 3570 Alken, België",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            [],
            id="België",
        ),
        pytest.param(
            "Heiligenbornstraat 12, Alkne",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            [],
            id="typo in place",
        ),
        pytest.param(
            "Heiligenbornstraat 12, Nergenshuizen",
            "Heiligenbornstraat",
            "12",
            "heiligenborn",
            ["place_ignored"],
            id="unknown place",
        ),
    ],
)
def test_typed_variants(
    locator: Locator, query: str, street: str, number: str, group: str, warnings: list[str]
) -> None:
    result = locator.lookup(query)
    assert result.status == "found"
    assert zone_ids(result) == [group]
    assert result.address is not None
    assert (result.address.street, result.address.housenumber) == (street, number)
    assert codes(result) == warnings


def test_box_is_echoed_back(locator: Locator) -> None:
    result = locator.lookup("Heiligenbornstraat 12 bus 3")
    assert result.address is not None and result.address.box == "3"
    assert "busnummer 3" in result.warnings[0].message


def test_number_not_in_register_is_interpolated(alken: Dataset, locator: Locator) -> None:
    result = locator.lookup("Heiligenbornstraat 13")
    assert result.status == "found"
    assert zone_ids(result) == ["heiligenborn"]
    assert result.precision == "interpolated"
    assert codes(result) == ["housenumber_not_found"]
    assert result.address is not None and result.address.housenumber == "13"
    # Between 11 and 15, its neighbours on the same (odd) side of the street.
    reg = alken.register
    (sid,) = [s.id for s in reg.streets if s.name == "Heiligenbornstraat"]
    (a11,), (a15,) = reg.find(sid, "11"), reg.find(sid, "15")
    segment = shapely.LineString([(reg.x[a11], reg.y[a11]), (reg.x[a15], reg.y[a15])])
    assert result.location is not None
    p = to_lambert72(LonLat(result.location.lon, result.location.lat))
    assert segment.distance(shapely.Point(p)) < 0.01


def test_address_without_position_is_estimated(locator: Locator) -> None:
    # Motstraat 1 is in the register without a position; its street rule still decides the group.
    result = locator.lookup("Motstraat 1")
    assert result.status == "found"
    assert zone_ids(result) == ["klameer-hamee"]
    assert result.precision in ("interpolated", "street")
    assert "approximate_position" in codes(result)


def test_address_in_no_zone(locator: Locator) -> None:
    result = locator.lookup("Grootstraat 2, 3570 Alken")
    assert result.status == "no_zone"
    assert result.zones == []
    assert result.precision == "address"
    assert result.actions == ["start_group"]
    assert "nog geen WABP-groep" in result.message


def test_street_without_number(locator: Locator) -> None:
    whole = locator.lookup("Heiligenbornstraat")
    assert (whole.status, zone_ids(whole), whole.precision) == ("found", ["heiligenborn"], "street")
    assert codes(whole) == ["housenumber_missing"]
    # Steenweg runs through several zones: the number is needed.
    split = locator.lookup("Steenweg")
    assert split.status == "ambiguous"
    assert "add_housenumber" in split.actions
    assert {c.address.street for c in split.candidates} == {"Steenweg"}


@pytest.mark.parametrize("query", ["Rode Kruisstraat 2", "Rode Kruisstraat 2, 3570 Alken"])
def test_rode_kruisstraat_is_never_kruisstraat(locator: Locator, query: str) -> None:
    result = locator.lookup(query)
    assert result.status in ("ambiguous", "not_found")
    assert result.address is None or result.address.street != "Kruisstraat"
    assert "Kruisstraat" not in [c.address.street for c in result.candidates]
    if result.status == "ambiguous":
        assert result.candidates[0].address.street == "Rode Kruisplein"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("Waterkant 1", "niet in het adressenregister", id="Waterkant 1"),
        pytest.param("Oude Steenweg 4", "niet in het adressenregister", id="Oude Steenweg"),
        pytest.param(
            "Heiligenbornstraat 12, 1730", "Postcode 1730 valt buiten", id="postcode 1730"
        ),
        pytest.param("Kerkstraat 1, 1730 Asse", "Postcode 1730 valt buiten", id="1730 Asse"),
        pytest.param("12", "Typ een straatnaam", id="a number only"),
        pytest.param("3570 Alken", "Typ een straatnaam", id="a place only"),
    ],
)
def test_not_found(locator: Locator, query: str, message: str) -> None:
    result = locator.lookup(query)
    assert result.status == "not_found"
    assert result.zones == [] and result.address is None
    assert message in result.message


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="empty"),
        pytest.param("   \t ", id="blank"),
        pytest.param("x" * (MAX_QUERY_LENGTH + 1), id="201 characters"),
    ],
)
def test_unusable_query_raises(locator: Locator, query: str) -> None:
    with pytest.raises(LookupInputError):
        locator.lookup(query)


def test_200_characters_is_still_a_query(locator: Locator) -> None:
    assert locator.lookup("x" * MAX_QUERY_LENGTH).status == "not_found"


def test_hamlet_sint_joris_is_alken(locator: Locator) -> None:
    # Not in bpost's list (whose Sint-Joris is 8620/8730): the zone areas make it a place of 3570.
    result = locator.lookup("Heiligenbornstraat 12, Sint-Joris")
    assert result.status == "found"
    assert [z.id for z in result.zones] == ["heiligenborn"]


# -- points ------------------------------------------------------------------------------------


def test_point_inside_a_zone(alken: Dataset, locator: Locator) -> None:
    reg = alken.register
    a = next(
        a
        for a in range(len(reg))
        if reg.positioned[a] and alken.table[a].zone_ids == ("heiligenborn",)
    )
    result = locator.lookup_point(float(reg.lon[a]), float(reg.lat[a]))
    assert result.status == "found"
    assert zone_ids(result) == ["heiligenborn"]
    assert result.precision == "coordinates"
    assert result.location == Location(lat=float(reg.lat[a]), lon=float(reg.lon[a]))


@pytest.mark.parametrize("group", GROUPS)
def test_representative_point_of_each_zone_finds_it(
    alken: Dataset, locator: Locator, group: str
) -> None:
    p = alken.zones.get(group).geometry.representative_point()
    result = locator.lookup_point(p.x, p.y)
    assert group in zone_ids(result)


def test_point_on_a_shared_vertex_is_in_both_zones(alken: Dataset, locator: Locator) -> None:
    # A vertex of both Moggeweide and Langveld (the derived zones share their Voronoi edges).
    mog = {
        tuple(c) for c in shapely.get_coordinates(alken.zones.get("moggeweide").geometry).tolist()
    }
    lang = {
        tuple(c) for c in shapely.get_coordinates(alken.zones.get("langveld").geometry).tolist()
    }
    lon, lat = sorted(mog & lang)[0]
    result = locator.lookup_point(lon, lat)
    assert result.status == "found"
    assert sorted(zone_ids(result)) == ["langveld", "moggeweide"]
    assert codes(result) == ["on_zone_border"]


def test_point_in_no_zone(alken: Dataset, locator: Locator) -> None:
    # Grootstraat 2 is in Alken but in no group's zone.
    reg = alken.register
    (sid,) = [s.id for s in reg.streets if s.name == "Grootstraat"]
    (a,) = reg.find(sid, "2")
    result = locator.lookup_point(float(reg.lon[a]), float(reg.lat[a]))
    assert result.status == "no_zone"
    assert result.zones == [] and result.actions == ["start_group"]


@pytest.mark.parametrize(
    ("lon", "lat", "words"),
    [
        pytest.param(50.871, 5.256, "swapped", id="swapped"),
        pytest.param(212465.6, 173784.0, "projected metres", id="Lambert 72"),
        pytest.param(2.35, 48.85, "outside Belgium", id="Paris"),
        pytest.param(math.nan, 50.87, "finite", id="NaN"),
    ],
)
def test_bad_point_raises(locator: Locator, lon: float, lat: float, words: str) -> None:
    with pytest.raises(LookupInputError, match=words):
        locator.lookup_point(lon, lat)


# -- robustness --------------------------------------------------------------------------------

streets = st.sampled_from(
    ["Heiligenbornstraat", "St. Jorisstraat", "steenweg", "Rode Kruisstraat", "Hulzenstr"]
)
typed_addresses = st.builds(
    "{} {}{}{}".format,
    streets,
    st.integers(min_value=0, max_value=400),
    st.sampled_from(["", "a", "B", " bus 2", "/3", "-14", " b.1"]),
    st.sampled_from(["", ", 3570 Alken", ", Alken", ", 1730 Asse", ", België", ", Sint-Joris"]),
)


@given(st.one_of(st.text(max_size=250), typed_addresses))
def test_lookup_raises_nothing_but_lookup_input_error(locator: Locator, query: str) -> None:
    try:
        result = locator.lookup(query)
    except LookupInputError:
        assert not query.strip() or len(query.strip()) > MAX_QUERY_LENGTH
        return
    assert result.status in ("found", "no_zone", "ambiguous", "not_found")
    if result.status == "found":
        assert result.zones
    if result.status == "ambiguous":
        assert result.candidates


@given(
    st.floats(min_value=5.23, max_value=5.37),
    st.floats(min_value=50.84, max_value=50.92),
)
def test_lookup_point_agrees_with_the_polygons(
    alken: Dataset, locator: Locator, lon: float, lat: float
) -> None:
    result = locator.lookup_point(lon, lat)
    xy = to_lambert72(LonLat(lon, lat))
    expected = [z.id for z in alken.zones.active() if z.geometry_l72.covers(shapely.Point(xy))]
    assert zone_ids(result) == expected
    assert result.status == ("found" if expected else "no_zone")
