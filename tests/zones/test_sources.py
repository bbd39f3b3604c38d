"""Zone files as people have them: CRS84 `crs` member, Lambert 72/2008, shapefile, GeoPackage, non-slug ids.

The wijken fixtures are `zone_a` and `zone_b_sharing_edge` with the properties of the real ggw7
layer (`geoitem` 73001W01/W02, `naam`): once as WGS84 GeoJSON with a CRS84 `crs` member (as
geopandas and QGIS export), once in Lambert 72 with an EPSG:31370 `crs` member, once as a Lambert 72
shapefile. Each must come back within 1 m of the WGS84 original.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import LAMBERT2008, LonLat, to_lambert72, transformer
from tests.common import FIXTURES, collection, feature, zone_a, zone_b_sharing_edge
from zones.errors import ZoneFileError
from zones.schema import to_l72
from zones.sources import read_boundary, read_zones, slugify
from zones.storage import load_zones

ORIGINAL = {"73001w01": zone_a, "73001w02": zone_b_sharing_edge}


def max_vertex_error_m(got: BaseGeometry, want: BaseGeometry) -> float:
    """Return how far (metres, Lambert 72) the farthest vertex of `got` is from its original."""
    a = shapely.get_coordinates(got).tolist()
    b = shapely.get_coordinates(want).tolist()
    assert len(a) == len(b)
    # Each vertex against the nearest original vertex (ring start and direction may change).
    return max(
        min(math.dist(to_lambert72(LonLat(*p)), to_lambert72(LonLat(*q))) for q in b) for p in a
    )


def write_lambert2008_geopackage(path: Path) -> Path:
    import geopandas as gpd

    t = transformer("EPSG:4326", LAMBERT2008)
    geoms = [shapely.transform(g, t.transform, interleaved=False) for g in ORIGINAL.values()]
    frame = gpd.GeoDataFrame(
        {"geoitem": ["73001W01", "73001W02"], "naam": ["Centrum", "Sint-Joris"]},
        geometry=geoms,
        crs=LAMBERT2008,
    )
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


@pytest.mark.parametrize(
    ("name", "reprojected"),
    [
        pytest.param("wijken_crs84.geojson", None, id="GeoJSON with a CRS84 crs member"),
        pytest.param("wijken_lambert72.geojson", "Lambert 72", id="GeoJSON in Lambert 72"),
        pytest.param("wijken_lambert72.shp", "Lambert 72", id="shapefile in Lambert 72"),
        pytest.param("lambert2008.gpkg", "Lambert 2008", id="GeoPackage in Lambert 2008"),
    ],
)
def test_wijken_are_read_within_a_metre(tmp_path: Path, name: str, reprojected: str | None) -> None:
    path = FIXTURES / name
    if name.endswith(".gpkg"):
        path = write_lambert2008_geopackage(tmp_path / name)
    imported = read_zones(path)
    assert [z.id for z in imported.zones] == ["73001w01", "73001w02"]
    assert [z.name for z in imported.zones] == ["Centrum", "Sint-Joris"]
    for zone in imported.zones:
        assert max_vertex_error_m(zone.geometry, ORIGINAL[zone.id]) < 1.0
        assert zone.props.model_extra is not None
        assert zone.props.model_extra["source_id"] == zone.id.upper()
    assert imported.renamed == {"73001W01": "73001w01", "73001W02": "73001w02"}
    if reprojected is None:
        assert imported.notes == []
    else:
        assert len(imported.notes) == 1
        assert f"reprojected from Belgian {reprojected}" in imported.notes[0]


@pytest.mark.parametrize(
    "crs",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:EPSG::4326",
        "EPSG:4326",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    ],
)
def test_the_zone_store_accepts_a_wgs84_crs_member(tmp_path: Path, crs: str) -> None:
    data = collection(feature("west", zone_a))
    data["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    (zone,) = load_zones(path)
    assert zone.geometry.equals(zone_a)


def test_another_crs_is_refused_by_name(tmp_path: Path) -> None:
    data = collection(feature("west", zone_a))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ZoneFileError, match="EPSG::3035 is not supported"):
        read_zones(path)


@pytest.mark.parametrize(
    ("original", "slug"),
    [
        ("23002W01", "23002w01"),
        ("Sint Joris", "sint-joris"),
        ("Café d'Hier", "cafe-d-hier"),
        ("--", "zone"),
    ],
)
def test_slugify(original: str, slug: str) -> None:
    assert slugify(original) == slug


def test_ids_made_slugs_stay_unique(tmp_path: Path) -> None:
    data = collection(
        feature("x", zone_a, id="Zone 1", name="A"),
        feature("x", zone_b_sharing_edge, id="zone-1", name="B"),
    )
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    imported = read_zones(path)
    assert sorted(z.id for z in imported.zones) == ["zone-1", "zone-1-2"]


def test_zones_outside_the_boundary_are_left_out_and_counted() -> None:
    imported = read_zones(FIXTURES / "wijken_crs84.geojson", inside=zone_a)
    assert [z.id for z in imported.zones] == ["73001w01"]
    assert "kept 1 of 2 zones" in imported.notes[0]


def test_boundary_parts_keep_name_and_nis() -> None:
    (part, other) = read_boundary(FIXTURES / "wijken_lambert72.shp")
    assert (part.name, part.nis) == ("Centrum", "73001W01")
    assert to_l72(part.geometry).area == pytest.approx(to_l72(zone_a).area, rel=1e-3)
