"""Validating zone sets: each broken fixture gives its Problem code; the shipped zones have none."""

from __future__ import annotations

import pytest
import shapely

from tests.common import (
    DATA,
    FIXTURES,
    collection,
    feature,
    point_in_a,
    point_in_b,
    register,
    zone_a,
    zone_b_sharing_edge,
)
from zones.assign import assign
from zones.dataset import Dataset
from zones.schema import to_l72
from zones.storage import load_zones, zones_from_geojson
from zones.validate import (
    Problem,
    check_boundary,
    check_geometry,
    check_overlaps,
    check_streets,
    check_zone_set,
    has_errors,
)


@pytest.mark.parametrize(
    ("name", "code", "zones", "words"),
    [
        pytest.param(
            "zones_bowtie.geojson",
            "invalid_geometry",
            ("strik",),
            "Self-intersection",
            id="bow-tie",
        ),
        pytest.param(
            "zones_overlap.geojson", "overlap", ("west", "midden"), "overlap by", id="overlap"
        ),
        pytest.param(
            "zones_swapped.geojson", "swapped_coordinates", ("west",), "swapped", id="swapped"
        ),
        pytest.param(
            "zones_lambert72.geojson",
            "projected_coordinates",
            ("west",),
            "projected metres",
            id="Lambert 72",
        ),
        pytest.param(
            "zones_outside_alken.geojson",
            "outside_municipality",
            ("grens",),
            "outside the municipality",
            id="leaves Alken",
        ),
    ],
)
def test_broken_fixture_gives_its_problem(
    alken: Dataset, name: str, code: str, zones: tuple[str, ...], words: str
) -> None:
    problems = check_zone_set(load_zones(FIXTURES / name), alken.boundary_l72)
    assert [(p.code, p.severity, p.zones) for p in problems] == [(code, "error", zones)]
    assert words in problems[0].message
    assert has_errors(problems)


def test_valid_fixture_has_no_problem(alken: Dataset) -> None:
    assert check_zone_set(load_zones(FIXTURES / "zones_valid.geojson"), alken.boundary_l72) == []


def test_shipped_zones_validate_without_errors(alken: Dataset) -> None:
    zones = load_zones(DATA / "zones.geojson")
    assert not has_errors(check_zone_set(zones, alken.boundary_l72))
    # Dataset.load ran every check (street lists too) and kept the findings.
    assert [p for p in alken.problems if p.severity == "error"] == []


def test_outside_belgium() -> None:
    north_sea = shapely.box(4.0, 52.5, 4.01, 52.51)
    problems = check_geometry(zones_from_geojson(collection(feature("zee", north_sea))))
    assert [(p.code, p.zones) for p in problems] == [("outside_belgium", ("zee",))]


def test_overlap_area_is_reported_in_square_metres() -> None:
    shifted = shapely.affinity.translate(zone_a, xoff=0.005)
    zones = zones_from_geojson(collection(feature("west", zone_a), feature("midden", shifted)))
    (problem,) = check_overlaps(zones)
    overlap_m2 = shapely.intersection(
        zones.get("west").geometry_l72, zones.get("midden").geometry_l72
    ).area
    assert f"{overlap_m2:,.0f} m²" in problem.message


def test_a_shared_edge_is_not_an_overlap() -> None:
    zones = zones_from_geojson(collection(feature("a", zone_a), feature("b", zone_b_sharing_edge)))
    assert check_overlaps(zones) == []


@pytest.mark.parametrize(
    ("nudge", "reported"),
    [
        pytest.param(5e-9, False, id="0.35 mm along 1.1 km: 0.4 m², rounding"),
        pytest.param(1e-7, True, id="7 mm along 1.1 km: 8 m², an overlap"),
    ],
)
def test_overlap_tolerance_is_one_square_metre(nudge: float, reported: bool) -> None:
    nudged = shapely.affinity.translate(zone_b_sharing_edge, xoff=-nudge)
    zones = zones_from_geojson(collection(feature("a", zone_a), feature("b", nudged)))
    assert bool(check_overlaps(zones)) is reported


def test_only_active_zones_may_not_overlap() -> None:
    zones = zones_from_geojson(
        collection(feature("a", zone_a), feature("nieuw", zone_a, status="proposed"))
    )
    assert check_overlaps(zones) == []


def test_geometry_errors_stop_the_other_checks(alken: Dataset) -> None:
    # A bow-tie overlapping a good zone: only the bow-tie is reported, not a meaningless overlap.
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[5.28, 50.87], [5.29, 50.88], [5.29, 50.87], [5.28, 50.88], [5.28, 50.87]]
        ],
    }
    zones = zones_from_geojson(collection(feature("strik", bowtie), feature("west", zone_a)))
    assert [p.code for p in check_zone_set(zones, alken.boundary_l72)] == ["invalid_geometry"]


@pytest.mark.parametrize(
    ("west_edge", "severity"),
    [
        pytest.param(5.27995, "warning", id="a 3.5 m strip outside: generalisation, a warning"),
        pytest.param(5.2795, "error", id="a 35 m strip outside: an error"),
    ],
)
def test_share_outside_decides_the_severity(west_edge: float, severity: str) -> None:
    boundary_l72 = to_l72(shapely.box(5.28, 50.87, 5.30, 50.88))
    zones = zones_from_geojson(
        collection(feature("west", shapely.box(west_edge, 50.87, 5.29, 50.88)))
    )
    assert [(p.code, p.severity) for p in check_boundary(zones, boundary_l72)] == [
        ("outside_municipality", severity)
    ]


def test_zone_inside_boundary_is_fine() -> None:
    boundary_l72 = to_l72(shapely.box(5.28, 50.87, 5.30, 50.88))
    zones = zones_from_geojson(collection(feature("a", zone_a), feature("b", zone_b_sharing_edge)))
    assert check_boundary(zones, boundary_l72) == []


# -- street lists against the register -------------------------------------------------------


def street_problems(zones_json: dict[str, object]) -> list[Problem]:
    # Steenweg: even numbers in the west square, odd in the east one, except 6 which stands east.
    reg = register(
        ("Steenweg", "2", point_in_a.x, point_in_a.y),
        ("Steenweg", "4", point_in_a.x, point_in_a.y + 0.001),
        ("Steenweg", "6", point_in_b.x, point_in_b.y + 0.002),
        ("Steenweg", "1", point_in_b.x, point_in_b.y),
        ("Steenweg", "3", point_in_b.x, point_in_b.y + 0.001),
    )
    zones = zones_from_geojson(zones_json)
    table, conflicts = assign(zones, reg)
    return check_streets(zones, reg, table, conflicts)


def test_street_checks_on_the_valid_fixture() -> None:
    problems = street_problems(
        collection(
            feature(
                "west",
                zone_a,
                streets=[{"name": "Doktoorstraat"}, {"name": "Steenweg", "numbers": "even"}],
            ),
            feature("oost", zone_b_sharing_edge, streets=[{"name": "Steenweg", "numbers": "odd"}]),
        )
    )
    assert sorted((p.code, p.severity, p.zones) for p in problems) == [
        ("street_outside_polygon", "warning", ("west", "oost")),
        ("unknown_street", "warning", ("west",)),
    ]
    outside = next(p for p in problems if p.code == "street_outside_polygon")
    assert "1 address(es)" in outside.message and "'Steenweg'" in outside.message
    assert not has_errors(problems)


def test_two_rules_claiming_one_address_conflict() -> None:
    problems = street_problems(
        collection(
            feature("west", zone_a, streets=[{"name": "Steenweg"}]),
            feature("oost", zone_b_sharing_edge, streets=[{"name": "Steenweg", "numbers": "odd"}]),
        )
    )
    conflicts = [p for p in problems if p.code == "rule_conflict"]
    assert [(p.severity, p.zones) for p in conflicts] == [("error", ("west", "oost"))]
    assert "2 addresses" in conflicts[0].message  # Steenweg 1 and 3
