"""Setting up and refreshing a dataset directory: ``wabp init`` and ``wabp import-addresses``.

A register is accepted in the CRAB-style or BeST layout (detected from the header) and stored in the
canonical CRAB-style columns; zones need only ``id`` and ``name``. Refreshing a register reports what
changed: addresses added, removed or moved, and addresses that now fall in another zone.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import RegisterError
from geo.files import atomic_write_text
from geo.housenumber import number_key
from geo.register import AddressRegister, normalise_frame, read_register_csv
from zones.assign import assign
from zones.dataset import Dataset, DatasetMeta, DatasetPaths
from zones.errors import DatasetError, ZoneValidationError
from zones.schema import ZoneSet, to_l72
from zones.storage import load_boundary, load_zones, save_zones
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


def create_dataset(
    root: Path, addresses: Path, zones: Path, boundary: Path | None = None, name: str | None = None
) -> InitReport:
    """Create a dataset directory from a register, a zone file and (optionally) a boundary."""
    root = Path(root)
    paths = DatasetPaths(root)
    if paths.addresses.exists() or paths.zones.exists():
        raise DatasetError(
            f"{root}: already holds a dataset (use `wabp import-addresses` to refresh it)"
        )
    frame = read_register_frame(addresses)
    zone_set = load_zones(zones)
    # Refuse a broken boundary and zones with errors before writing anything: an invalid
    # geometry cannot even be saved (set_precision raises on it).
    shape = load_boundary(boundary) if boundary is not None else None
    problems = check_zone_set(zone_set, to_l72(shape) if shape is not None else None)
    if has_errors(problems):
        raise ZoneValidationError([p for p in problems if p.severity == "error"])
    root.mkdir(parents=True, exist_ok=True)
    notes = []
    if boundary is not None:
        boundary_note = str(boundary)
    else:
        boundary_note = "none"
        notes.append("no --boundary given: the checks 'inside the municipality' are skipped")
    municipalities = sorted({m for m in frame["municipality"] if m})
    meta = DatasetMeta(name=name or ", ".join(municipalities) or root.name)
    try:
        if boundary is not None:
            shutil.copyfile(boundary, paths.boundary)
        write_register(frame, paths.addresses)
        save_zones(zone_set, paths.zones)
        atomic_write_text(
            paths.meta, json.dumps(meta.model_dump(), ensure_ascii=False, indent=1) + "\n"
        )
        Dataset.load(root)  # the new dataset must load; if not, say why and leave nothing half made
    except Exception:
        for p in (paths.addresses, paths.zones, paths.meta, paths.boundary):
            p.unlink(missing_ok=True)
        raise
    return InitReport(
        len(frame), sorted(set(frame["postcode"])), len(zone_set), boundary_note, notes
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
    """Replace a dataset's register with a new one and report the changes."""
    dataset = Dataset.load(root, strict=False)
    frame = read_register_frame(addresses)
    new = AddressRegister(frame)
    changes = compare_registers(dataset.register, new, dataset.zones)
    if not dry_run:
        write_register(frame, dataset.paths.addresses)
    return changes
