"""Setting up and refreshing a dataset directory: ``wabp init`` and ``wabp import-addresses``.

A register is accepted in the CRAB-style or BeST layout (detected from the header) and stored in the
canonical CRAB-style columns; zones need only ``id`` and ``name``. Refreshing a register reports what
changed: addresses added, removed or moved, and addresses that now fall in another zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.errors import RegisterError
from geo.files import atomic_write_text
from geo.housenumber import number_key
from geo.municipalities import find_municipality, municipalities_of_postcode, police_zone_members
from geo.normalize import place_key
from geo.register import AddressRegister, normalise_frame, read_register_csv
from zones.assign import assign
from zones.dataset import Dataset, DatasetMeta, DatasetPaths
from zones.errors import DatasetError, ZoneValidationError
from zones.municipal import MunicipalityMeta, PoliceZoneMeta, zone_municipalities
from zones.schema import ZoneSet, to_l72
from zones.sources import boundary_geojson, read_boundary, read_zones
from zones.storage import BoundaryPart, dump_geojson, save_zones
from zones.validate import check_zone_set, has_errors

STORED_COLUMNS = ["postcode", "municipality", "street", "housenumber", "box", "lat", "lon"]
MOVED_M = 1.0


def read_register_frame(path: Path) -> pd.DataFrame:
    """Read a register file (CSV or gzipped CSV, either layout) into the canonical columns."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such address file")
    return normalise_frame(read_register_csv(path), source=str(path))


def write_register(frame: pd.DataFrame, path: Path) -> None:
    """Store a register frame atomically in the canonical CRAB-style columns."""
    # 9 decimals of a degree is 0.1 mm: no position changes through a rewrite.
    text = frame[STORED_COLUMNS].to_csv(index=False, na_rep="", float_format="%.9f")
    atomic_write_text(path, text)


@dataclass
class InitReport:
    """What ``wabp init`` made."""

    addresses: int
    postcodes: list[str]
    zones: int
    boundary: str
    notes: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def fill_municipalities(frame: pd.DataFrame, parts: list[BoundaryPart]) -> list[str]:
    """Give every register row a municipality: its column, else the boundary, else the postcode.

    Never the name of a folder: a dataset named after its directory gave staff accounts a
    municipality no application carries. Returns notes on what was filled from where.
    """
    notes = []
    missing = frame["municipality"].fillna("").str.strip() == ""
    named = [p for p in parts if p.name]
    if missing.any() and named:
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        points = shapely.points(lon, lat)
        filled = 0
        for part in named:
            inside = missing.to_numpy() & shapely.covered_by(points, part.geometry)
            frame.loc[inside, "municipality"] = part.name
            filled += int(inside.sum())
        missing = frame["municipality"].fillna("").str.strip() == ""
        if filled:
            notes.append(f"municipality of {filled:,} addresses taken from the boundary")
    if missing.any() and not missing.all():
        # A number without position on a street whose positioned numbers all lie in one
        # municipality is in that municipality too.
        known = frame.loc[~missing, ["postcode", "street", "municipality"]].drop_duplicates()
        known = known.drop_duplicates(["postcode", "street"], keep=False)
        street = frame.loc[missing, ["postcode", "street"]].merge(
            known, on=["postcode", "street"], how="left"
        )["municipality"]
        found = street.notna().to_numpy()
        if found.any():
            index = frame.index[missing.to_numpy()][found]
            frame.loc[index, "municipality"] = street.to_numpy()[found]
            missing = frame["municipality"].fillna("").str.strip() == ""
            notes.append(f"municipality of {int(found.sum()):,} addresses taken from their street")
    if missing.any():
        by_postcode = {pc: municipalities_of_postcode(pc) for pc in frame.loc[missing, "postcode"]}
        single = {pc: names[0] for pc, names in by_postcode.items() if len(names) == 1}
        rows = missing & frame["postcode"].isin(single)
        frame.loc[rows, "municipality"] = frame.loc[rows, "postcode"].map(single)
        if rows.any():
            notes.append(f"municipality of {int(rows.sum()):,} addresses taken from the postcode")
        left = missing & ~rows
        if left.any():
            postcodes = ", ".join(sorted(set(frame.loc[left, "postcode"])))
            raise DatasetError(
                f"{int(left.sum()):,} addresses (postcode {postcodes}) have no municipality: "
                "add a municipality column or give --boundary with the municipalities' names"
            )
    return notes


def _select_police_zone(
    frame: pd.DataFrame, parts: list[BoundaryPart], police_zone: str
) -> tuple[pd.DataFrame, list[BoundaryPart], PoliceZoneMeta, list[str]]:
    """Keep the register rows and boundary parts of one police zone's municipalities."""
    found = police_zone_members(police_zone)
    if found is None:
        raise DatasetError(f"unknown police zone {police_zone!r} (as in the provinces' tables)")
    full_name, members = found
    names = {place_key(m.name) for m in members}
    codes = {m.nis for m in members}
    keep = frame["municipality"].map(lambda n: place_key(str(n)) in names)
    notes = []
    if not keep.all():
        notes.append(
            f"police zone {full_name}: kept {int(keep.sum()):,} of {len(frame):,} addresses"
        )
    frame = frame[keep].reset_index(drop=True)
    kept_parts = [p for p in parts if p.nis in codes or place_key(p.name) in names]
    if parts and len(kept_parts) < len(parts):
        notes.append(f"police zone {full_name}: kept {len(kept_parts)} of {len(parts)} boundaries")
    if frame.empty:
        raise DatasetError(
            f"the register has no address in police zone {full_name} "
            f"({', '.join(m.name for m in members)})"
        )
    held = sorted(set(frame["municipality"]))
    code = members[0].police_zone_code
    meta = PoliceZoneMeta(name=full_name.removeprefix("PZ "), code=code, municipalities=held)
    return frame, kept_parts, meta, notes


def _municipality_meta(frame: pd.DataFrame, parts: list[BoundaryPart]) -> list[MunicipalityMeta]:
    out = []
    for name in sorted(set(frame["municipality"])):
        part = next((p for p in parts if place_key(p.name) == place_key(name)), None)
        known = find_municipality(name, "2024") or find_municipality(name)
        nis = part.nis if part is not None and part.nis else (known.nis if known else "")
        postcodes = sorted(set(frame.loc[frame["municipality"] == name, "postcode"]))
        out.append(MunicipalityMeta(name=name, nis=nis, postcodes=postcodes))
    return out


def create_dataset(
    root: Path,
    addresses: Path,
    zones: Path,
    boundary: Path | None = None,
    name: str | None = None,
    *,
    police_zone: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
) -> InitReport:
    """Create a dataset directory from a register, a zone file and (optionally) a boundary.

    Zone and boundary files may be GeoJSON, shapefile or GeoPackage, in WGS84, Lambert 72 or
    Lambert 2008 (see `zones.sources`). With `police_zone`, only its municipalities are kept.
    """
    root = Path(root)
    paths = DatasetPaths(root)
    if paths.addresses.exists() or paths.zones.exists():
        raise DatasetError(
            f"{root}: already holds a dataset (use `wabp import-addresses` to refresh it)"
        )
    frame = read_register_frame(addresses)
    parts = read_boundary(boundary) if boundary is not None else []
    notes = fill_municipalities(frame, parts)
    police_zones = []
    if police_zone is not None:
        frame, parts, pz, selected = _select_police_zone(frame, parts, police_zone)
        police_zones.append(pz)
        notes += selected
    shape = shapely.union_all([p.geometry for p in parts]) if parts else None
    # A zone file of a larger area (the wijken of all of Flanders) gives only the dataset's zones.
    imported = read_zones(zones, id_field=id_field, name_field=name_field, inside=shape)
    zone_set = imported.zones
    notes = imported.notes + notes
    # Refuse a broken boundary and zones with errors before writing anything: an invalid
    # geometry cannot even be saved (set_precision raises on it).
    problems = check_zone_set(zone_set, to_l72(shape) if shape is not None else None)
    if has_errors(problems):
        raise ZoneValidationError([p for p in problems if p.severity == "error"])
    root.mkdir(parents=True, exist_ok=True)
    if boundary is not None:
        boundary_note = str(boundary)
    else:
        boundary_note = "none"
        notes.append("no --boundary given: the checks 'inside the municipality' are skipped")
    listed = _municipality_meta(frame, parts)
    municipalities = [m.name for m in listed]
    default_name = police_zones[0].name if police_zones else ", ".join(municipalities)
    meta = DatasetMeta(
        name=name or default_name,
        # One municipality needs no list: the register names it (the shipped Alken layout).
        municipalities=listed if len(listed) > 1 or police_zones else [],
        police_zones=police_zones,
    )
    try:
        if parts:
            atomic_write_text(paths.boundary, dump_geojson(boundary_geojson(parts)))
        write_register(frame, paths.addresses)
        save_zones(zone_set, paths.zones)
        atomic_write_text(
            paths.meta,
            json.dumps(meta.model_dump(exclude_defaults=True), ensure_ascii=False, indent=1) + "\n",
        )
        Dataset.load(root)  # the new dataset must load; if not, say why and leave nothing half made
    except Exception:
        for p in (paths.addresses, paths.zones, paths.meta, paths.boundary):
            p.unlink(missing_ok=True)
        raise
    return InitReport(
        len(frame),
        sorted(set(frame["postcode"])),
        len(zone_set),
        boundary_note,
        notes,
        municipalities,
        imported.renamed,
    )


@dataclass
class RegisterChanges:
    """What a register refresh changes."""

    added: list[str]
    removed: list[str]
    moved: list[str]
    zone_changed: list[tuple[str, tuple[str, ...], tuple[str, ...]]]


def _keyed(register: AddressRegister) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = {}
    for a in range(len(register)):
        s = register.streets[int(register.street_of[a])]
        out.setdefault((s.postcode, s.name, number_key(register.housenumbers[a])), a)
    return out


def compare_registers(
    old: AddressRegister, new: AddressRegister, zones: ZoneSet
) -> RegisterChanges:
    """Compare two registers by (postcode, street, house number) and the zones they assign."""
    old_keys, new_keys = _keyed(old), _keyed(new)
    old_table, _ = assign(zones, old)
    new_table, _ = assign(zones, new)

    def label(key: tuple[str, str, str], reg: AddressRegister, a: int) -> str:
        return f"{key[1]} {reg.housenumbers[a]}, {key[0]}"

    added = [label(k, new, a) for k, a in new_keys.items() if k not in old_keys]
    removed = [label(k, old, a) for k, a in old_keys.items() if k not in new_keys]
    moved, zone_changed = [], []
    for key, a in old_keys.items():
        b = new_keys.get(key)
        if b is None:
            continue
        dx, dy = new.x[b] - old.x[a], new.y[b] - old.y[a]
        if old.positioned[a] and new.positioned[b] and float(np.hypot(dx, dy)) > MOVED_M:
            moved.append(label(key, new, b))
        elif old.positioned[a] != new.positioned[b]:
            moved.append(label(key, new, b))
        if old_table[a].zone_ids != new_table[b].zone_ids:
            zone_changed.append((label(key, new, b), old_table[a].zone_ids, new_table[b].zone_ids))
    return RegisterChanges(sorted(added), sorted(removed), sorted(moved), sorted(zone_changed))


def import_addresses(root: Path, addresses: Path, *, dry_run: bool = False) -> RegisterChanges:
    """Replace a dataset's register with a new one and report the changes.

    As with ``wabp init``, an address without a municipality gets it from the boundary or the
    postcode; a dataset that lists its municipalities (a police zone) keeps only theirs.
    """
    dataset = Dataset.load(root, strict=False)
    frame = read_register_frame(addresses)
    parts = read_boundary(dataset.paths.boundary) if dataset.paths.boundary.is_file() else []
    fill_municipalities(frame, parts)
    if dataset.meta.municipalities:
        held = {place_key(m.name) for m in dataset.meta.municipalities}
        frame = frame[frame["municipality"].map(lambda n: place_key(str(n)) in held)]
        frame = frame.reset_index(drop=True)
        if frame.empty:
            raise DatasetError(
                f"{addresses}: no address in {', '.join(dataset.municipalities.names)}"
            )
    new = AddressRegister(frame)
    changes = compare_registers(dataset.register, new, dataset.zones)
    if not dry_run:
        write_register(frame, dataset.paths.addresses)
    return changes


def write_municipality_dataset(dataset: Dataset, municipality: str, target: Path) -> Path:
    """Write one municipality of a several-municipality dataset as a dataset directory of its own.

    Its addresses, its zones (`zone_municipalities`), its boundary feature, the infoborden of its
    zones, and a ``dataset.json`` with its name, contact, join URL and member cap (the dataset's
    where it sets none); the group rules are copied, with the municipality's own rules file when
    ``dataset.json`` names one. Used to publish a site per municipality.
    """
    held = dataset.municipalities.find(municipality)
    source, out = dataset.paths, DatasetPaths(Path(target))
    out.root.mkdir(parents=True, exist_ok=True)
    frame = pd.read_csv(source.addresses, dtype=str, keep_default_na=False)
    frame = frame[frame["municipality"] == held.name]
    atomic_write_text(out.addresses, frame.to_csv(index=False))
    owner = zone_municipalities(dataset.zones, dataset.register, dataset.table)
    zones = ZoneSet([z for z in dataset.zones if owner.get(z.id) == held.name])
    save_zones(zones, out.zones)
    if source.boundary.is_file():
        data = json.loads(source.boundary.read_text(encoding="utf-8"))
        features = [
            f
            for f in data.get("features", [])
            if place_key(str((f.get("properties") or {}).get("name", ""))) == place_key(held.name)
        ]
        if features:
            atomic_write_text(
                out.boundary, dump_geojson({"type": "FeatureCollection", "features": features})
            )
    if source.infoborden.is_file():
        data = json.loads(source.infoborden.read_text(encoding="utf-8"))
        ids = {z.id for z in zones}
        data["features"] = [
            f for f in data.get("features", []) if (f.get("properties") or {}).get("zone_id") in ids
        ]
        atomic_write_text(out.infoborden, dump_geojson(data))
    contact, contact_url = dataset.municipalities.contact(
        held.name, (dataset.meta.contact, dataset.meta.contact_url)
    )
    meta = DatasetMeta(
        name=held.name,
        member_cap=dataset.municipalities.member_cap(held.name),
        join_url=dataset.municipalities.join_url(held.name),
        contact=contact,
        contact_url=contact_url,
    )
    atomic_write_text(
        out.meta,
        json.dumps(meta.model_dump(exclude_defaults=True), ensure_ascii=False, indent=1) + "\n",
    )
    _copy_rules(source.root, out.root, held.rules, held.rules_version)
    return out.root


def _copy_rules(source: Path, target: Path, own_rules: str | None, own_version: str | None) -> None:
    spec_path = source / "reglement.json"
    if not spec_path.is_file():
        return
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    if own_rules:
        spec["rules"]["file"] = own_rules
        spec["rules"]["version"] = own_version or spec["rules"]["version"]
    for part in ("rules", "statement"):
        name = spec[part]["file"]
        (target / name).write_bytes((source / name).read_bytes())
    atomic_write_text(target / "reglement.json", json.dumps(spec, ensure_ascii=False, indent=1))
