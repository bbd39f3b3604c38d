"""Benchmark datasets: the shipped Alken ``data/`` and Asse/Zellik built from ``../shared/data``.

Asse/Zellik is built with the same code path as ``wabp init`` (`zones.importing.create_dataset`):

- addresses: the CRAB 2014 register (``crab_adresposities_2014_sanderd17/
  addresses_alken_asse_pz-kanton-borgloon.csv``) filtered to postcodes 1730 and 1731, written to a CSV
  in the work directory first (11,891 addresses);
- zones: Asse's 16 wijken (ggw7, ``geoitem`` starting with ``23002``) from
  ``provinciesincijfers_gebiedsniveaus/study_area_wijken_ggw7.geojson``, as features with ``id`` (slug
  of the name without `` (Asse)``) and ``name`` (``WABP <name>``);
- boundary: Asse (``gemeente`` 23002) from ``study_area_gemeenten_2024.geojson``.

PZ Kanton Borgloon (2024: Alken, Borgloon, Heers, Kortessem, Wellen) is one dataset made as the
README's example does: the whole register file, the ggw7 wijken of all of Flanders and the 2024
municipality polygons (shapefiles, Lambert 72), kept to the police zone by ``--police-zone``.

Nothing is copied into the repository: the dataset goes into a temporary directory (or one you pass).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from unidecode import unidecode

ROOT = Path(__file__).resolve().parent.parent
ALKEN_DIR = ROOT / "data"
# ``../shared/data`` next to the checkout; WABP_SHARED_DATA points elsewhere (a git worktree).
SHARED_DATA = Path(os.environ.get("WABP_SHARED_DATA", ROOT.parent / "shared" / "data"))
REGISTER_CSV = (
    SHARED_DATA
    / "crab_adresposities_2014_sanderd17"
    / "addresses_alken_asse_pz-kanton-borgloon.csv"
)
AREAS_DIR = SHARED_DATA / "provinciesincijfers_gebiedsniveaus"
WIJKEN_GEOJSON = AREAS_DIR / "study_area_wijken_ggw7.geojson"
WIJKEN_SHP = AREAS_DIR / "shapefiles" / "ggw7.shp"
GEMEENTEN_SHP = AREAS_DIR / "shapefiles" / "gemeente2024.shp"
GEMEENTEN_GEOJSON = AREAS_DIR / "study_area_gemeenten_2024.geojson"

ASSE_NIS = "23002"
ASSE_POSTCODES = ("1730", "1731")
ASSE_MISSING = "Asse/Zellik skipped: ../shared/data is missing (only Alken is run)"


def shared_data_missing() -> str | None:
    """Return why the Asse/Zellik dataset cannot be built (a missing input), or None if it can."""
    for path in (REGISTER_CSV, WIJKEN_GEOJSON, GEMEENTEN_GEOJSON):
        if not path.is_file():
            return f"{path} not found"
    return None


def slug(name: str) -> str:
    """Return a zone id for a wijk name (``Krokegem/Waarbeek`` -> ``krokegem-waarbeek``)."""
    return re.sub(r"[^a-z0-9]+", "-", unidecode(name).lower()).strip("-")


def _feature_collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def write_asse_inputs(workdir: Path) -> tuple[Path, Path, Path]:
    """Write the `wabp init` inputs for Asse/Zellik to `workdir`; return (addresses, zones, boundary)."""
    workdir.mkdir(parents=True, exist_ok=True)
    addresses = workdir / "addresses_1730_1731.csv"
    with open(REGISTER_CSV, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if row["postcode"].strip() in ASSE_POSTCODES]
    with open(addresses, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    wijken = json.loads(WIJKEN_GEOJSON.read_text(encoding="utf-8"))
    zones = []
    for feature in wijken["features"]:
        props = feature["properties"]
        if not str(props.get("geoitem", "")).startswith(ASSE_NIS):
            continue
        name = str(props["naam"]).removesuffix(" (Asse)")
        zones.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {"id": slug(name), "name": f"WABP {name}"},
            }
        )
    zones_path = workdir / "zones_asse_wijken.geojson"
    zones_path.write_text(_feature_collection(zones), encoding="utf-8")

    gemeenten = json.loads(GEMEENTEN_GEOJSON.read_text(encoding="utf-8"))
    asse = [f for f in gemeenten["features"] if str(f["properties"].get("gemeente")) == ASSE_NIS]
    boundary = workdir / "boundary_asse.geojson"
    boundary.write_text(_feature_collection(asse), encoding="utf-8")
    return addresses, zones_path, boundary


def create_asse_dataset(root: Path, workdir: Path) -> Any:
    """Create the Asse/Zellik dataset in `root` the way `wabp init` does; return its InitReport."""
    from zones.importing import create_dataset

    addresses, zones, boundary = write_asse_inputs(workdir)
    return create_dataset(root, addresses, zones, boundary)


@contextmanager
def asse_dataset_dir() -> Iterator[Path]:
    """Build the Asse/Zellik dataset in a temporary directory, yield it, and remove it afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="wabp-bench-asse-"))
    try:
        root = tmp / "dataset"
        create_asse_dataset(root, tmp / "inputs")
        yield root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def police_zone_dataset_dir() -> Iterator[tuple[Path, float]]:
    """Build PZ Kanton Borgloon as `wabp init --police-zone` does; yield it and the init seconds."""
    import time

    from zones.importing import create_dataset

    tmp = Path(tempfile.mkdtemp(prefix="wabp-bench-pz-"))
    try:
        root = tmp / "dataset"
        t0 = time.perf_counter()
        create_dataset(root, REGISTER_CSV, WIJKEN_SHP, GEMEENTEN_SHP, police_zone="Kanton Borgloon")
        yield root, time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
