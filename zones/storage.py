"""Reading and writing zone and infobord files (GeoJSON, WGS84).

Reading validates every feature against the typed schema and names the feature and field that is
wrong; writing is atomic (temp file + rename), so a failed write leaves the old file intact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from geojson_pydantic import MultiPolygon, Point, Polygon
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry.base import BaseGeometry

from geo.files import atomic_write_text
from zones.errors import ZoneFileError
from zones.schema import Zone, ZoneProperties, ZoneSet

# Rejects NaN/Infinity, and `false` or "5.29" as coordinates, which plain geojson-pydantic coerces.
_STRICT = ConfigDict(strict=True, allow_inf_nan=False)
COORDINATE_DECIMALS = 7  # 1 cm at Belgian latitudes


class StrictPolygon(Polygon):
    """A GeoJSON Polygon with strict, finite coordinates."""

    model_config = _STRICT


class StrictMultiPolygon(MultiPolygon):
    """A GeoJSON MultiPolygon with strict, finite coordinates."""

    model_config = _STRICT


class StrictPoint(Point):
    """A GeoJSON Point with strict, finite coordinates."""

    model_config = _STRICT


class ZoneFeature(BaseModel):
    """One feature of a zone file."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    geometry: StrictPolygon | StrictMultiPolygon = Field(discriminator="type")
    properties: ZoneProperties


class InfobordProperties(BaseModel):
    """Properties of an information board (infobord) point."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=64)
    zone_id: str = Field(min_length=1, max_length=64)
    label: str = Field(default="", max_length=200)
    illustrative: bool = False


class InfobordFeature(BaseModel):
    """One feature of an infoborden file."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    geometry: StrictPoint
    properties: InfobordProperties


def _read_json(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ZoneFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(f"{path}: cannot read ({exc})") from exc
    return parse_json(text, str(path))


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text, refusing NaN/Infinity, with an error that says where it broke."""

    def _no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ZoneFileError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:
        raise ZoneFileError(f"{source}: not valid JSON ({exc})") from None


def _features(data: Any, source: str) -> list[Any]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ZoneFileError(f"{source}: expected a GeoJSON FeatureCollection")
    if "crs" in data and not names_wgs84(data["crs"]):
        raise ZoneFileError(
            f"{source}: has a legacy 'crs' member naming {crs_name(data['crs']) or 'an unknown CRS'}; "
            "a stored zone file must be WGS84 longitude/latitude (RFC 7946): "
            "`wabp init` reprojects Lambert 72 (EPSG:31370) and Lambert 2008 (EPSG:3812) files"
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise ZoneFileError(f"{source}: 'features' must be a list")
    return features


# What GeoJSON exporters (geopandas, QGIS, GDAL before RFC 7946) write for plain WGS84 lon/lat.
_WGS84_NAMES = {
    "crs84",
    "ogc:1.3:crs84",
    "ogc::crs84",
    "ogc:crs84",
    "epsg:4326",
    "epsg::4326",
    "epsg:0:4326",
}


def crs_name(member: Any) -> str | None:
    """Return the name a legacy GeoJSON ``crs`` member gives (``{"type": "name", ...}``), or None."""
    if isinstance(member, dict) and isinstance(member.get("properties"), dict):
        name = member["properties"].get("name")
        return name if isinstance(name, str) else None
    return None


def names_wgs84(member: Any) -> bool:
    """Tell whether a legacy ``crs`` member names WGS84 lon/lat (CRS84 or EPSG:4326): harmless.

    EPSG:4326 officially has latitude first, but GeoJSON writers that name it write lon/lat;
    the Belgium bounds check catches a file that really is lat/lon.
    """
    name = crs_name(member)
    if name is None:
        return False
    key = (
        name.lower()
        .removeprefix("urn:ogc:def:crs:")
        .removeprefix("http://www.opengis.net/def/crs/")
    )
    return key.replace("/", ":") in _WGS84_NAMES


def _feature_label(i: int, raw: Any) -> str:
    props = raw.get("properties") if isinstance(raw, dict) else None
    fid = props.get("id") if isinstance(props, dict) else None
    return f"feature {i}" + (f" (id {fid!r})" if isinstance(fid, str) else "")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p[0].isupper()))
    return f"{loc or 'feature'}: {err['msg']}"


def zone_from_feature(raw: Any, label: str = "feature") -> Zone:
    """Validate one GeoJSON Feature dict and build a Zone, or raise ZoneFileError naming the field."""
    try:
        feature = ZoneFeature.model_validate(raw)
    except ValidationError as exc:
        raise ZoneFileError(f"{label}, {_first_error(exc)}") from None
    return Zone(feature.properties, _shape(feature.geometry))


def _shape(geometry: StrictPolygon | StrictMultiPolygon) -> BaseGeometry:
    """Build the shapely geometry of a validated (Multi)Polygon, in two dimensions.

    From each ring's coordinates as one array: the same geometry as ``shapely.geometry.shape``
    gives, without a Python object per coordinate (all of Flanders' zones: 200,000).
    """
    if isinstance(geometry, StrictPolygon):
        return _polygon(geometry.coordinates)
    return shapely.MultiPolygon([_polygon(rings) for rings in geometry.coordinates])


def _polygon(rings: Sequence[Sequence[Sequence[float]]]) -> shapely.Polygon:
    if not rings:
        return shapely.Polygon()
    shell, *holes = (shapely.linearrings(_xy(ring)) for ring in rings)
    polygon: shapely.Polygon = shapely.polygons(shell, holes=holes or None)
    return polygon


def _xy(ring: Sequence[Sequence[float]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    # A third coordinate (height) means nothing for a zone: drop it rather than refuse the file,
    # also where a writer mixed positions of two and three numbers in one ring.
    try:
        xy = np.array(ring, dtype=np.float64)
    except ValueError:  # mixed: not one array, so position by position
        xy = np.array([position[:2] for position in ring], dtype=np.float64)
    return xy[:, :2]


def zones_from_geojson(data: Any, source: str = "zones") -> ZoneSet:
    """Build a ZoneSet from a parsed GeoJSON FeatureCollection."""
    zones: list[Zone] = []
    seen: set[str] = set()
    for i, raw in enumerate(_features(data, source)):
        zone = zone_from_feature(raw, f"{source}: {_feature_label(i, raw)}")
        if zone.id in seen:
            raise ZoneFileError(f"{source}: {_feature_label(i, raw)}, properties.id: duplicate id")
        seen.add(zone.id)
        zones.append(zone)
    return ZoneSet(zones)


def load_zones(path: Path) -> ZoneSet:
    """Read and check a zone file against the schema."""
    return zones_from_geojson(_read_json(path), str(path))


def zone_to_feature(zone: Zone) -> dict[str, Any]:
    """Return a zone as a GeoJSON Feature dict (coordinates rounded to 1 cm)."""
    geometry = shapely.set_precision(zone.geometry, 10**-COORDINATE_DECIMALS)
    # normalize fixes where each ring starts (set_precision may rotate it), so saving unchanged
    # zones rewrites the same bytes; then RFC 7946: exterior rings counter-clockwise.
    geometry = shapely.orient_polygons(shapely.normalize(geometry))
    return {
        "type": "Feature",
        "id": zone.id,
        "properties": zone.props.model_dump(mode="json", by_alias=True, exclude_none=True),
        "geometry": shapely.geometry.mapping(geometry),
    }


def zones_to_geojson(zones: ZoneSet) -> dict[str, Any]:
    """Return a zone set as a GeoJSON FeatureCollection dict."""
    return {"type": "FeatureCollection", "features": [zone_to_feature(z) for z in zones]}


def dump_geojson(data: dict[str, Any]) -> str:
    """Serialise GeoJSON the way wabp stores it: stable, readable, diffable."""
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def save_zones(zones: ZoneSet, path: Path) -> None:
    """Write a zone set atomically; a failed write leaves the old file intact."""
    atomic_write_text(path, dump_geojson(zones_to_geojson(zones)))


def load_infoborden(path: Path) -> list[InfobordFeature]:
    """Read an infoborden file (points with the zone they belong to)."""
    data = _read_json(path)
    out = []
    for i, raw in enumerate(_features(data, str(path))):
        try:
            out.append(InfobordFeature.model_validate(raw))
        except ValidationError as exc:
            raise ZoneFileError(f"{path}: {_feature_label(i, raw)}, {_first_error(exc)}") from None
    return out


@dataclass(frozen=True)
class BoundaryPart:
    """One municipality of a boundary file (WGS84)."""

    name: str
    nis: str
    geometry: BaseGeometry


def load_boundary(path: Path) -> BaseGeometry:
    """Read a municipality boundary file (any Polygon/MultiPolygon features, unioned), WGS84."""
    return shapely.union_all([part.geometry for part in load_boundary_parts(path)])


def load_boundary_parts(path: Path) -> list[BoundaryPart]:
    """Read a dataset's boundary file: one part per feature, with its ``name`` and ``nis``."""
    data = _read_json(path)
    parts = []
    for i, raw in enumerate(_features(data, str(path))):
        geometry = raw.get("geometry") if isinstance(raw, dict) else None
        props = raw.get("properties") if isinstance(raw, dict) else None
        props = props if isinstance(props, dict) else {}
        try:
            shape = shapely.geometry.shape(geometry)
        except (
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
            shapely.errors.GEOSException,
        ) as exc:
            raise ZoneFileError(f"{path}: feature {i}, geometry: {exc}") from None
        parts.append(BoundaryPart(str(props.get("name") or ""), str(props.get("nis") or ""), shape))
    if not parts:
        raise ZoneFileError(f"{path}: no boundary feature")
    return parts
