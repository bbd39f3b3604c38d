"""Deriving zone polygons from the real address points of each group's streets.

The published lists give streets and hamlets, not polygons. Each positioned register address gets a
Voronoi cell (clipped to the municipality); a group's polygon is the union of the cells of its
addresses. The groups are given by a spec: streets with house-number rules, and/or ``fill_area``: the
name of an area (a wijk) whose addresses not claimed by another group's streets belong to the group.
Zones derived this way never overlap and leave the addresses of no group uncovered.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry.base import BaseGeometry

from geo.housenumber import parse_register_number
from geo.register import AddressRegister
from zones.assign import street_claims
from zones.errors import ZoneFileError
from zones.schema import (
    NumberRange,
    NumberRule,
    StreetRule,
    Zone,
    ZoneProperties,
    ZoneSet,
    to_l72,
    to_wgs84,
)
from zones.storage import load_boundary, parse_json


class GroupSpec(ZoneProperties):
    """A group to derive: the zone properties plus, optionally, an area it fills."""

    fill_area: str | None = Field(default=None, description="name of an area in the areas file")


class DeriveSpec(BaseModel):
    """The input of ``wabp derive-zones``."""

    model_config = ConfigDict(extra="forbid")

    areas: str | None = Field(default=None, description="GeoJSON file of named areas (wijken)")
    area_name_field: str = "naam"
    groups: list[GroupSpec]


def load_spec(path: Path) -> DeriveSpec:
    """Read a derivation spec (JSON)."""
    try:
        return DeriveSpec.model_validate(
            parse_json(Path(path).read_text(encoding="utf-8"), str(path))
        )
    except FileNotFoundError:
        raise ZoneFileError(f"{path}: no such file") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ZoneFileError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def load_areas(path: Path, name_field: str) -> dict[str, BaseGeometry]:
    """Read named areas (WGS84 GeoJSON) into Lambert 72 polygons by name."""
    data = parse_json(Path(path).read_text(encoding="utf-8"), str(path))
    out: dict[str, BaseGeometry] = {}
    for feature in data.get("features", []):
        name = feature.get("properties", {}).get(name_field)
        if name:
            out[str(name)] = to_l72(shapely.geometry.shape(feature["geometry"]))
    return out


def infer_rule(inside: list[int], outside: list[int]) -> NumberRule:
    """Return the simplest house-number rule that takes the `inside` numbers and none of `outside`."""
    if not outside:
        return "all"
    for parity in ("even", "odd"):
        want = 0 if parity == "even" else 1
        if all(n % 2 == want for n in inside) and all(n % 2 != want for n in outside):
            return parity  # type: ignore[return-value]
    lo, hi = min(inside), max(inside)
    if not any(lo <= n <= hi for n in outside):
        return NumberRange.model_validate({"from": lo, "to": hi})
    for parity in ("even", "odd"):
        want = 0 if parity == "even" else 1
        if all(n % 2 == want for n in inside) and not any(
            lo <= n <= hi and n % 2 == want for n in outside
        ):
            return NumberRange.model_validate({"from": lo, "to": hi, "parity": parity})
    return "partial"


def _voronoi_cells(
    register: AddressRegister, boundary_l72: BaseGeometry
) -> tuple[npt.NDArray[np.float64], list[BaseGeometry]]:
    """Return the unique positioned points (as address-id groups' first member) and their cells."""
    idx = np.flatnonzero(register.positioned)
    xy: npt.NDArray[np.float64] = np.c_[register.x[idx], register.y[idx]].round(2)
    first: npt.NDArray[np.intp] = np.sort(np.unique(xy, axis=0, return_index=True)[1])
    points = shapely.multipoints(xy[first])
    cells = shapely.voronoi_polygons(points, extend_to=boundary_l72, ordered=True)
    return xy[first], [shapely.intersection(c, boundary_l72) for c in shapely.get_parts(cells)]


def derive_zones(
    spec: DeriveSpec,
    register: AddressRegister,
    boundary_wgs84: BaseGeometry,
    areas: dict[str, BaseGeometry] | None = None,
) -> ZoneSet:
    """Derive a zone set from a spec and the register's address points."""
    boundary = to_l72(boundary_wgs84)
    placeholder = [
        Zone(ZoneProperties(**g.model_dump(exclude={"fill_area"})), boundary_wgs84)
        for g in spec.groups
    ]
    claims = street_claims(ZoneSet(placeholder), register)
    owner: dict[int, str] = {a: zs[0] for a, zs in claims.items()}

    for group in spec.groups:
        if group.fill_area is None:
            continue
        if areas is None or group.fill_area not in areas:
            raise ZoneFileError(
                f"group {group.id!r}: fill_area {group.fill_area!r} not in the areas file"
            )
        area = areas[group.fill_area]
        idx = np.flatnonzero(register.positioned)
        inside = shapely.covered_by(shapely.points(register.x[idx], register.y[idx]), area)
        for a in idx[inside].tolist():
            owner.setdefault(int(a), group.id)

    # Address -> cell: every address at a unique position; duplicates share the cell.
    unique_xy, cells = _voronoi_cells(register, boundary)
    cell_of = {tuple(p): i for i, p in enumerate(unique_xy.tolist())}
    cells_by_group: dict[str, set[int]] = defaultdict(set)
    for a, gid in owner.items():
        if register.positioned[a]:
            key = (round(float(register.x[a]), 2), round(float(register.y[a]), 2))
            cells_by_group[gid].add(cell_of[key])
    taken: dict[int, str] = {}
    for gid, cell_ids in cells_by_group.items():
        for c in cell_ids:
            taken.setdefault(c, gid)  # two groups at one point: the first keeps the cell

    zones = []
    for group in spec.groups:
        mine = [cells[c] for c, gid in taken.items() if gid == group.id]
        if not mine:
            raise ZoneFileError(f"group {group.id!r}: none of its addresses has a position")
        polygon = shapely.union_all(mine)
        polygon = shapely.make_valid(shapely.set_precision(to_wgs84(polygon), 1e-7))
        polygon = shapely.union_all(
            [p for p in shapely.get_parts(polygon) if p.geom_type == "Polygon"]
        )
        props = group.model_dump(exclude={"fill_area"}, by_alias=True)
        if group.fill_area is not None:
            props["streets"] = [
                r.model_dump(by_alias=True) for r in _streets_of(group.id, owner, register)
            ]
        zones.append(Zone(ZoneProperties.model_validate(props), polygon))
    return ZoneSet(zones)


def _streets_of(gid: str, owner: dict[int, str], register: AddressRegister) -> list[StreetRule]:
    """List the streets of a filled group with the house-number rule that captures its share."""
    numbers: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    mine = {a for a, g in owner.items() if g == gid}
    streets = {int(register.street_of[a]) for a in mine}
    for sid in streets:
        for a in register.on_street(sid):
            hn = parse_register_number(register.housenumbers[a])
            if hn is None or not register.positioned[a]:
                continue  # without a position or a number, an address says nothing about the split
            numbers[sid][0 if a in mine else 1].append(hn.number)
    rules = []
    for sid in sorted(streets, key=lambda s: register.streets[s].name):
        inside, outside = numbers[sid]
        if inside:
            rules.append(
                StreetRule(name=register.streets[sid].name, numbers=infer_rule(inside, outside))
            )
    return rules


def spec_areas(spec: DeriveSpec, spec_path: Path) -> dict[str, BaseGeometry] | None:
    """Load the areas file a spec names, relative to the spec."""
    if spec.areas is None:
        return None
    return load_areas(spec_path.parent / spec.areas, spec.area_name_field)


def derive_from_files(spec_path: Path, register: AddressRegister, boundary_path: Path) -> ZoneSet:
    """Derive zones from a spec file, a register and a boundary file."""
    spec = load_spec(spec_path)
    return derive_zones(spec, register, load_boundary(boundary_path), spec_areas(spec, spec_path))


def summary(zones: ZoneSet) -> list[dict[str, Any]]:
    """Return one line of figures per derived zone (for the CLI)."""
    return [
        {
            "id": z.id,
            "name": z.name,
            "area_km2": round(z.geometry_l72.area / 1e6, 3),
            "streets": len(z.props.streets),
        }
        for z in zones
    ]


def illustrative_infoborden(zones: ZoneSet, register: AddressRegister) -> dict[str, Any]:
    """Place one illustrative infobord per zone where its first listed street begins.

    "Begins" is the lowest-numbered positioned address of that street inside the zone; the point is
    marked ``illustrative`` because nobody surveyed where the real boards stand.
    """
    features = []
    for zone in zones:
        best: tuple[int, int] | None = None
        for rule in zone.props.streets:
            for street in (s for s in register.streets if s.name == rule.name):
                for a in register.on_street(street.id):
                    hn = parse_register_number(register.housenumbers[a])
                    point = shapely.Point(register.x[a], register.y[a])
                    if (
                        hn is None
                        or not register.positioned[a]
                        or not zone.geometry_l72.covers(point)
                    ):
                        continue
                    if best is None or hn.number < best[0]:
                        best = (hn.number, a)
            if best is not None:
                break
        if best is None:
            point = zone.geometry.representative_point()
            lon, lat = point.x, point.y
        else:
            lon, lat = float(register.lon[best[1]]), float(register.lat[best[1]])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": f"infobord-{zone.id}",
                    "zone_id": zone.id,
                    "label": f"Infobord {zone.name}",
                    "illustrative": True,
                },
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def voronoi_cells(dataset: Any) -> dict[int, BaseGeometry]:
    """Return the Voronoi cell (Lambert 72) of every positioned address of a dataset, by address id.

    Clipped to the boundary, or to the addresses' hull plus 500 m when the dataset has none; cached
    on the dataset object because proposals by units ask for it repeatedly.
    """
    cached = dataset.base.derived.get("voronoi_cells")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    register: AddressRegister = dataset.register
    clip = dataset.boundary_l72
    if clip is None:
        idx = np.flatnonzero(register.positioned)
        clip = shapely.multipoints(np.c_[register.x[idx], register.y[idx]]).convex_hull.buffer(500)
    unique_xy, cells = _voronoi_cells(register, clip)
    cell_of = {tuple(p): c for p, c in zip(unique_xy.tolist(), cells, strict=True)}
    out = {}
    for a in np.flatnonzero(register.positioned).tolist():
        out[a] = cell_of[(round(float(register.x[a]), 2), round(float(register.y[a]), 2))]
    dataset.base.derived["voronoi_cells"] = out
    return out
