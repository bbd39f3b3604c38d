"""Zone and boundary files as people have them, for ``wabp init``.

GeoJSON as geopandas/QGIS export it (a legacy ``crs`` member naming CRS84 or EPSG:4326 is
harmless), GeoJSON with a ``crs`` member naming Lambert 72 or Lambert 2008, shapefiles and
GeoPackages (read through pyogrio, CRS from the ``.prj`` or the layer). Lambert 72 (EPSG:31370) and
Lambert 2008 (EPSG:3812) are reprojected to WGS84, and the notes say so; any other CRS is refused.
Zone ids that are not slugs (``23002W01``) become slugs (``23002w01``); the original is kept as the
``source_id`` property and the mapping is reported.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from unidecode import unidecode

from geo.crs import LAMBERT72, LAMBERT2008, WGS84, transformer
from zones.errors import ZoneFileError
from zones.schema import ZoneSet, to_l72
from zones.storage import BoundaryPart, crs_name, names_wgs84, parse_json, zones_from_geojson

REPROJECTED = {
    31370: ("Belgian Lambert 72 (EPSG:31370)", LAMBERT72),
    3812: ("Belgian Lambert 2008 (EPSG:3812)", LAMBERT2008),
}
ID_FIELDS = ("id", "geoitem", "code", "nis", "ID", "CODE")
NAME_FIELDS = ("name", "naam", "NAAM", "Name", "NAME", "name_nl")
NIS_FIELDS = ("nis", "NIS", "gemeente", "niscode", "geoitem")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# A zone of which less than this share lies inside the boundary belongs to a neighbour: a wijken
# layer of all of Flanders keeps only the dataset's own (neighbours share an edge, not an area).
# A zone partly across the boundary is kept, and validation reports it.
INSIDE_SHARE = 0.01


@dataclass
class SourceFeatures:
    """The features of a file as GeoJSON Feature dicts in WGS84, with what was done to them."""

    features: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


@dataclass
class ZoneImport:
    """The zones read from a file, the notes for the user and the ids that were made slugs."""

    zones: ZoneSet
    notes: list[str]
    renamed: dict[str, str]


def read_features(path: Path) -> SourceFeatures:
    """Read a GeoJSON, shapefile or GeoPackage into WGS84 Feature dicts; refuse an unknown CRS."""
    path = Path(path)
    if not path.is_file():
        raise ZoneFileError(f"{path}: no such file")
    if path.suffix.lower() in (".geojson", ".json"):
        return _read_geojson(path)
    return _read_ogr(path)


def _read_geojson(path: Path) -> SourceFeatures:
    try:
        data = parse_json(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ZoneFileError(f"{path}: expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ZoneFileError(f"{path}: 'features' must be a list")
    if "crs" not in data or names_wgs84(data["crs"]):
        return SourceFeatures(features)
    name = crs_name(data["crs"]) or "?"
    epsg = _epsg(name)
    if epsg not in REPROJECTED:
        raise ZoneFileError(f"{path}: {_unsupported(name)}")
    label, crs = REPROJECTED[epsg]
    out = []
    for i, raw in enumerate(features):
        if not isinstance(raw, dict) or not isinstance(raw.get("geometry"), dict):
            raise ZoneFileError(f"{path}: feature {i}: no geometry")
        try:
            geometry = shapely.geometry.shape(raw["geometry"])
        except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise ZoneFileError(f"{path}: feature {i}, geometry: {exc}") from None
        out.append({**raw, "geometry": _mapping(_reproject(geometry, crs))})
    return SourceFeatures(out, [_reprojected_note(path, label)])


def _read_ogr(path: Path) -> SourceFeatures:
    import pyogrio  # GDAL: only `wabp init` pays for loading it

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError, DataLayerError, ...
        raise ZoneFileError(f"{path}: cannot read ({str(exc).splitlines()[0]})") from None
    notes = []
    crs = frame.crs
    if crs is None:
        notes.append(f"{path.name}: declares no CRS; read as WGS84 longitude/latitude")
    else:
        epsg = crs.to_epsg()
        if epsg in REPROJECTED:
            label, source = REPROJECTED[epsg]
            frame = frame.set_geometry(
                [_reproject(g, source) if g is not None else None for g in frame.geometry]
            )
            notes.append(_reprojected_note(path, label))
        elif epsg != 4326 and not crs.equals("OGC:CRS84"):
            raise ZoneFileError(f"{path}: {_unsupported(crs.name)}")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = []
    for record, geometry in zip(frame[columns].to_dict("records"), frame.geometry, strict=True):
        props = {str(k): _plain(v) for k, v in record.items()}
        features.append(
            {
                "type": "Feature",
                "properties": {k: v for k, v in props.items() if v is not None},
                "geometry": _mapping(geometry) if geometry is not None else None,
            }
        )
    return SourceFeatures(features, notes)


def _epsg(name: str) -> int | None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(name).to_epsg()  # type: ignore[no-any-return]
    except CRSError:
        return None


def _unsupported(name: str) -> str:
    return (
        f"CRS {name} is not supported: use WGS84, Lambert 72 (EPSG:31370) or Lambert 2008 "
        "(EPSG:3812)"
    )


def _reprojected_note(path: Path, label: str) -> str:
    return f"{path.name}: reprojected from {label} to WGS84 (about 1 m accurate)"


def _reproject(geometry: BaseGeometry, source: str) -> BaseGeometry:
    t = transformer(source, WGS84)
    return shapely.transform(geometry, t.transform, interleaved=False)


def _mapping(geometry: BaseGeometry) -> dict[str, Any]:
    # Through JSON: lists, not the tuples shapely gives, for the strict GeoJSON schema.
    result: dict[str, Any] = json.loads(json.dumps(shapely.geometry.mapping(geometry)))
    return result


def _plain(value: Any) -> Any:
    """Return a column value as a JSON value (numpy scalars unwrapped, NaN as None)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _pick(props: dict[str, Any], wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted
    return next((c for c in candidates if props.get(c) not in (None, "")), None)


def slugify(value: str) -> str:
    """Return a zone id slug for any id (``23002W01`` -> ``23002w01``, ``Sint Joris`` -> ``sint-joris``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", unidecode(value).lower()).strip("-")[:63].strip("-")
    return slug or "zone"


def read_zones(
    path: Path,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    inside: BaseGeometry | None = None,
) -> ZoneImport:
    """Read a zone file in any supported format and CRS; ids become slugs, names are required.

    With `inside` (a WGS84 boundary), zones lying (almost) wholly outside it are left out and
    counted.
    """
    source = read_features(path)
    notes = list(source.notes)
    features = source.features
    if inside is not None:
        kept = _keep_inside(features, to_l72(inside))
        if len(kept) < len(features):
            notes.append(
                f"{path.name}: kept {len(kept)} of {len(features)} zones (the others lie outside "
                "the boundary)"
            )
        features = kept
    renamed: dict[str, str] = {}
    used: set[str] = set()
    out = []
    for i, raw in enumerate(features):
        props = dict(raw.get("properties") or {}) if isinstance(raw, dict) else {}
        id_key = _pick(props, id_field, ID_FIELDS)
        name_key = _pick(props, name_field, NAME_FIELDS)
        if id_key is None or props.get(id_key) in (None, ""):
            raise ZoneFileError(
                f"{path}: feature {i}: no id (a property {' or '.join(ID_FIELDS[:3])}, or --id-field)"
            )
        if name_key is None or props.get(name_key) in (None, ""):
            raise ZoneFileError(
                f"{path}: feature {i}: no name (a property {' or '.join(NAME_FIELDS[:2])}, or --name-field)"
            )
        original = str(props[id_key])
        zone_id = original if SLUG.match(original) and original not in used else slugify(original)
        base, n = zone_id, 2
        while zone_id in used:
            zone_id, n = f"{base[:60]}-{n}", n + 1
        used.add(zone_id)
        if zone_id != original:
            renamed[original] = zone_id
            props["source_id"] = original
        props["id"], props["name"] = zone_id, str(props[name_key])
        out.append({**raw, "properties": props})
    zones = zones_from_geojson({"type": "FeatureCollection", "features": out}, str(path))
    return ZoneImport(zones, notes, renamed)


def _keep_inside(
    features: list[dict[str, Any]], boundary_l72: BaseGeometry
) -> list[dict[str, Any]]:
    kept = []
    for raw in features:
        try:
            shape = to_l72(shapely.geometry.shape(raw["geometry"]))
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            kept.append(raw)  # the schema check names what is wrong with it
            continue
        inside = boundary_l72.intersection(shapely.make_valid(shape)).area
        if not shape.area or inside >= INSIDE_SHARE * shape.area:
            kept.append(raw)
    return kept


def read_boundary(path: Path) -> list[BoundaryPart]:
    """Read a boundary file: one part per feature, named by its name and NIS code when it has them."""
    source = read_features(path)
    parts = []
    for i, raw in enumerate(source.features):
        props = raw.get("properties") or {} if isinstance(raw, dict) else {}
        try:
            geometry = shapely.geometry.shape(raw["geometry"])
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            shapely.errors.GEOSException,
        ) as exc:
            raise ZoneFileError(f"{path}: feature {i}, geometry: {exc}") from None
        name_key = _pick(props, None, NAME_FIELDS)
        nis_key = _pick(props, None, NIS_FIELDS)
        parts.append(
            BoundaryPart(
                name=str(props[name_key]) if name_key else "",
                nis=str(props[nis_key]) if nis_key else "",
                geometry=geometry,
            )
        )
    if not parts:
        raise ZoneFileError(f"{path}: no boundary feature")
    return parts


def boundary_geojson(parts: list[BoundaryPart]) -> dict[str, Any]:
    """Return boundary parts as the dataset's ``boundary.geojson`` (one feature per municipality)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": p.name, "nis": p.nis},
                "geometry": _mapping(shapely.set_precision(p.geometry, 1e-7)),
            }
            for p in parts
        ],
    }
