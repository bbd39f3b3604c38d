"""Reading and writing zone files: strict schema, errors that name feature and field, round trips."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import shapely

from tests.common import (
    DATA,
    FIXTURES,
    collection,
    feature,
    zone_a,
    zone_b_sharing_edge,
    zone_multi,
    zone_with_hole,
)
from zones.errors import ZoneFileError
from zones.schema import NumberRange, StreetRule, Zone, ZoneProperties, ZoneSet
from zones.storage import (
    dump_geojson,
    load_boundary,
    load_infoborden,
    load_zones,
    save_zones,
    zones_from_geojson,
    zones_to_geojson,
)


def test_valid_fixture_loads() -> None:
    zones = load_zones(FIXTURES / "zones_valid.geojson")
    assert [(z.id, z.name) for z in zones] == [("west", "WABP West"), ("oost", "WABP Oost")]
    west, oost = zones
    assert west.geometry.equals(zone_a) and oost.geometry.equals(zone_b_sharing_edge)
    assert west.props.valid_from == dt.date(2024, 1, 1)
    assert [r.describe() for r in west.props.streets] == ["Doktoorstraat", "Steenweg (even nrs.)"]
    assert [r.describe() for r in oost.props.streets] == ["Steenweg (oneven nrs.)"]


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        pytest.param("zones_not_json.geojson", ["not valid JSON", "line 3"], id="not JSON"),
        pytest.param(
            "zones_missing_name.geojson",
            ["feature 1", "'oost'", "properties.name", "Field required"],
            id="missing name",
        ),
        pytest.param("zones_crs_member.geojson", ["'crs' member", "WGS84"], id="legacy crs member"),
    ],
)
def test_broken_file_names_the_problem(name: str, fragments: list[str]) -> None:
    with pytest.raises(ZoneFileError) as info:
        load_zones(FIXTURES / name)
    message = str(info.value)
    assert name in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    "name",
    [
        "zones_bowtie.geojson",
        "zones_overlap.geojson",
        "zones_swapped.geojson",
        "zones_lambert72.geojson",
        "zones_outside_alken.geojson",
    ],
)
def test_schema_valid_but_wrong_geometry_loads_for_validation(name: str) -> None:
    # Loading checks the schema; what is wrong with the shapes is for zones.validate to report.
    assert len(load_zones(FIXTURES / name)) >= 1


SQUARE = [[5.28, 50.87], [5.29, 50.87], [5.29, 50.88], [5.28, 50.88], [5.28, 50.87]]


def square_with(coordinate: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[coordinate, *SQUARE[1:-1], coordinate]]}


# (GeoJSON text of a one-feature collection, words the error must contain). The feature's id is
# "west" unless the case is about the id.
def one(geometry: Any = None, **props: Any) -> str:
    f = feature("west", {"type": "Polygon", "coordinates": [SQUARE]})
    if geometry is not None:
        f["geometry"] = geometry
    f["properties"].update(props)
    return json.dumps(collection(f))


INVALID = [
    pytest.param(
        one(square_with([False, 50.87])),
        ["feature 0 (id 'west')", "geometry"],
        id="false as coordinate",
    ),
    pytest.param(
        one(square_with(["5.28", 50.87])),
        ["feature 0 (id 'west')", "geometry"],
        id="string coordinate",
    ),
    pytest.param(
        one(square_with([5.28, None])), ["feature 0 (id 'west')", "geometry"], id="null coordinate"
    ),
    pytest.param(
        one(square_with([5.28, 50.87])).replace("50.87]", "NaN]", 1),
        ["NaN is not a number"],
        id="NaN",
    ),
    pytest.param(
        one(square_with([5.28, 50.87])).replace("50.87]", "1e400]", 1),
        ["feature 0 (id 'west')", "geometry"],
        id="1e400 (infinite)",
    ),
    pytest.param(
        one({"type": "Polygon", "coordinates": [SQUARE[:3]]}),
        ["feature 0 (id 'west')", "geometry"],
        id="ring of three positions",
    ),
    pytest.param(
        one({"type": "Polygon", "coordinates": [SQUARE[:-1]]}),
        ["feature 0 (id 'west')", "geometry"],
        id="unclosed ring",
    ),
    pytest.param(
        one({"type": "Point", "coordinates": [5.28, 50.87]}),
        ["feature 0 (id 'west')", "geometry"],
        id="Point",
    ),
    pytest.param(
        one({"type": "GeometryCollection", "geometries": []}),
        ["feature 0 (id 'west')", "geometry"],
        id="GeometryCollection",
    ),
    pytest.param(
        one({"type": "Polygon", "coordinates": [[[5.28, 50.87, 1.0, 2.0], *SQUARE[1:]]]}),
        ["feature 0 (id 'west')", "geometry"],
        id="4D position",
    ),
    pytest.param(one(id="Sint Joris"), ["feature 0", "properties.id"], id="id not a slug"),
    pytest.param(
        one(status="gepland"), ["feature 0 (id 'west')", "properties.status"], id="unknown status"
    ),
    pytest.param(
        one(streets=[{"name": "Steenweg", "numbers": "some"}]),
        ["feature 0 (id 'west')", "properties.streets.0"],
        id="unknown number rule",
    ),
    pytest.param(
        one(valid_from="morgen"), ["feature 0 (id 'west')", "properties.valid_from"], id="bad date"
    ),
    pytest.param(
        json.dumps(collection(feature("west", zone_a), feature("west", zone_b_sharing_edge))),
        ["feature 1 (id 'west')", "properties.id", "duplicate"],
        id="duplicate id",
    ),
    pytest.param(
        json.dumps({"type": "Feature", "geometry": None, "properties": {}}),
        ["FeatureCollection"],
        id="bare Feature",
    ),
    pytest.param(
        json.dumps({"type": "FeatureCollection", "features": {}}),
        ["'features'"],
        id="features not a list",
    ),
    pytest.param(json.dumps([1, 2]), ["FeatureCollection"], id="a JSON list"),
]


@pytest.mark.parametrize(("text", "fragments"), INVALID)
def test_invalid_zone_file(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ZoneFileError) as info:
        load_zones(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ZoneFileError, match="no such file"):
        load_zones(tmp_path / "nope.geojson")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": [], "name": "Li\xe8ge"}')
    with pytest.raises(ZoneFileError, match="cannot read"):
        load_zones(path)


def test_3d_coordinates_are_dropped_to_2d() -> None:
    ring = [[x, y, 42.0] for x, y in SQUARE]
    zones = zones_from_geojson(
        collection(feature("west", {"type": "Polygon", "coordinates": [ring]}))
    )
    geometry = zones.get("west").geometry
    assert not geometry.has_z
    assert shapely.get_coordinates(geometry).tolist() == SQUARE


SHELL = [[4.0, 50.0], [4.1, 50.0], [4.1, 50.1], [4.0, 50.1], [4.0, 50.0]]
HOLE = [[4.02, 50.02], [4.03, 50.02], [4.03, 50.03], [4.02, 50.02]]


@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param({"type": "Polygon", "coordinates": [SHELL]}, id="polygon"),
        pytest.param({"type": "Polygon", "coordinates": [SHELL, HOLE]}, id="with a hole"),
        pytest.param(
            {"type": "MultiPolygon", "coordinates": [[SHELL], [[[x + 1, y] for x, y in SHELL]]]},
            id="multipolygon",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[x, y, 7.0] for x, y in SHELL], HOLE]},
            id="heights in one ring only",
        ),
    ],
)
def test_geometry_is_what_shapely_reads(geometry: dict[str, Any]) -> None:
    zones = zones_from_geojson(collection(feature("west", geometry)))
    expected = shapely.force_2d(shapely.geometry.shape(geometry))
    assert zones.get("west").geometry.wkb == expected.wkb


@pytest.mark.parametrize("kind", ["Polygon", "MultiPolygon"])
def test_heights_on_some_positions_of_a_ring_are_dropped(kind: str) -> None:
    # Some writers give a height to a few positions only; shapely.geometry.shape refuses such a
    # ring (ValueError from numpy), a zone needs no height: read as the two-dimensional ring.
    mixed = [SHELL[0], [*SHELL[1], 12.5], *SHELL[2:]]
    rings = [mixed, HOLE]
    geometry = {"type": kind, "coordinates": rings if kind == "Polygon" else [rings]}
    flat = {"type": kind, "coordinates": [SHELL, HOLE] if kind == "Polygon" else [[SHELL, HOLE]]}
    zones = zones_from_geojson(collection(feature("west", geometry)))
    assert zones.get("west").geometry.wkb == shapely.geometry.shape(flat).wkb


def test_extra_properties_are_kept() -> None:
    zones = zones_from_geojson(collection(feature("west", zone_a, assumed="de Herk als grens")))
    assert zones.get("west").props.model_dump()["assumed"] == "de Herk als grens"


def sample_zones() -> ZoneSet:
    props = [
        ZoneProperties(
            id="west",
            name="WABP West",
            area="Centrum",
            streets=[
                StreetRule(name="Steenweg", numbers="even"),
                StreetRule(
                    name="Hulzenstraat",
                    postcode="3570",
                    numbers=NumberRange.model_validate({"from": 1, "to": 28}),
                ),
            ],
            valid_from=dt.date(2024, 1, 1),
            how_to_join="Stuur een bericht naar de coördinator.",
        ),
        ZoneProperties(id="met-gat", name="WABP Met Gat", status="proposed"),
        ZoneProperties(id="twee-delen", name="WABP Twee Delen", status="retired"),
    ]
    return ZoneSet(
        [Zone(p, g) for p, g in zip(props, [zone_a, zone_with_hole, zone_multi], strict=True)]
    )


def test_save_load_round_trip(tmp_path: Path) -> None:
    zones = sample_zones()
    path = tmp_path / "zones.geojson"
    save_zones(zones, path)
    back = load_zones(path)
    assert [z.id for z in back] == [z.id for z in zones]
    for before, after in zip(zones, back, strict=True):
        assert after.props == before.props
        assert after.geometry.geom_type == before.geometry.geom_type
        assert abs(after.geometry_l72.area - before.geometry_l72.area) < 1.0
        # Rounded to 1e-7 degrees (about 1 cm), so the shapes match within a few centimetres.
        assert after.geometry_l72.symmetric_difference(before.geometry_l72).area < 1.0
    assert len(back.get("met-gat").geometry.interiors) == 1
    assert len(back.get("twee-delen").geometry.geoms) == 2


def test_saved_file_is_rfc7946(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    save_zones(sample_zones(), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in data
    hole = shapely.geometry.shape(data["features"][1]["geometry"])
    # Exterior rings counter-clockwise, holes clockwise.
    assert hole.exterior.is_ccw and not hole.interiors[0].is_ccw
    # At most 7 decimals per coordinate.
    for x, y in shapely.get_coordinates(hole).tolist():
        assert round(x, 7) == x and round(y, 7) == y
    assert data["features"][0]["id"] == "west"
    assert data["features"][0]["properties"]["streets"][1]["numbers"] == {"from": 1, "to": 28}


def test_dump_is_stable_and_refuses_nan() -> None:
    data = zones_to_geojson(sample_zones())
    assert dump_geojson(data) == dump_geojson(json.loads(dump_geojson(data)))
    with pytest.raises(ValueError):
        dump_geojson({"x": float("nan")})


def test_shipped_zones_load_and_round_trip(tmp_path: Path) -> None:
    zones = load_zones(DATA / "zones.geojson")
    assert len(zones) == 9
    first, second = tmp_path / "first.geojson", tmp_path / "second.geojson"
    save_zones(zones, first)
    back = load_zones(first)
    for before, after in zip(zones, back, strict=True):
        assert after.props == before.props
        assert after.geometry.equals(before.geometry)
    # Saving what was loaded changes nothing: files stay diffable from one edit to the next.
    save_zones(back, second)
    assert second.read_bytes() == first.read_bytes()


def test_boundary_and_infoborden_load() -> None:
    boundary = load_boundary(DATA / "boundary.geojson")
    assert boundary.geom_type == "Polygon" and boundary.is_valid
    borden = load_infoborden(DATA / "infoborden.geojson")
    assert len(borden) == 9
    assert all(b.properties.zone_id and b.geometry.type == "Point" for b in borden)


def test_empty_boundary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "boundary.geojson"
    path.write_text(json.dumps(collection()), encoding="utf-8")
    with pytest.raises(ZoneFileError, match="no boundary feature"):
        load_boundary(path)


def test_bad_boundary_geometry_names_the_feature(tmp_path: Path) -> None:
    path = tmp_path / "boundary.geojson"
    path.write_text(
        json.dumps(
            collection(
                feature("alken", zone_a), {"type": "Feature", "properties": {}, "geometry": None}
            )
        ),
        encoding="utf-8",
    )
    with pytest.raises(ZoneFileError, match="feature 1, geometry"):
        load_boundary(path)


def test_bad_infobord_names_the_feature_and_field(tmp_path: Path) -> None:
    path = tmp_path / "infoborden.geojson"
    bord = {
        "type": "Feature",
        "properties": {"id": "bord-1"},
        "geometry": {"type": "Point", "coordinates": [5.29, 50.875]},
    }
    path.write_text(json.dumps(collection(bord)), encoding="utf-8")
    with pytest.raises(ZoneFileError, match=r"feature 0.*properties\.zone_id"):
        load_infoborden(path)
