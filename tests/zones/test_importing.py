"""Setting up a dataset (``wabp init``) and refreshing its register (``wabp import-addresses``).

`zones_init_minimal.geojson` has two zones with only an id and a name: ``west`` (5.25-5.28 E x
50.865-50.875 N: Heiligenbornstraat, St. Jorisstraat) and ``oost`` (5.30-5.32 E x 50.87-50.88 N:
Motstraat, Doktoorstraat, Alkerstraat), both inside Alken; Claes d'Erckenteelplein is in neither.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.errors import GeoError, RegisterError
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
from zones.dataset import Dataset
from zones.errors import DatasetError, ZoneError, ZoneFileError, ZoneValidationError
from zones.importing import (
    STORED_COLUMNS,
    compare_registers,
    create_dataset,
    import_addresses,
    read_register_frame,
)
from zones.lookup import Locator
from zones.storage import zones_from_geojson

ZONES = FIXTURES / "zones_init_minimal.geojson"
BOUNDARY = DATA / "boundary.geojson"
DATASET_FILES = ("addresses.csv", "zones.geojson", "dataset.json", "boundary.geojson")


def files(root: Path) -> set[str]:
    """Return the names of the dataset files in `root` (the rebuildable .cache left out)."""
    return {p.name for p in root.iterdir() if p.name != ".cache"} if root.exists() else set()


@pytest.mark.parametrize(
    "register_file",
    [
        pytest.param("register_crab.csv", id="CRAB-style"),
        pytest.param("register_best.csv", id="BeST"),
    ],
)
@pytest.mark.parametrize(
    ("query", "status", "zones"),
    [
        ("Heiligenbornstraat 12, 3570 Alken", "found", ["west"]),
        ("St. Jorisstraat 10", "found", ["west"]),
        ("Motstraat 10", "found", ["oost"]),
        ("Doktoorstraat 3, 3570 Alken", "found", ["oost"]),
        ("Claes d'Erckenteelplein 1", "no_zone", []),
    ],
)
def test_new_dataset_answers_lookups(
    tmp_path: Path, register_file: str, query: str, status: str, zones: list[str]
) -> None:
    root = tmp_path / "alken"
    report = create_dataset(root, FIXTURES / register_file, ZONES, BOUNDARY)
    assert (report.addresses, report.postcodes, report.zones) == (16, ["3570"], 2)
    assert report.notes == []
    result = Locator(Dataset.load(root)).lookup(query)
    assert result.status == status
    assert [z.id for z in result.zones] == zones


@pytest.mark.parametrize("register_file", ["register_crab.csv", "register_best.csv"])
def test_register_is_stored_in_the_canonical_columns(tmp_path: Path, register_file: str) -> None:
    root = tmp_path / "alken"
    create_dataset(root, FIXTURES / register_file, ZONES, BOUNDARY)
    assert files(root) == set(DATASET_FILES)
    stored = pd.read_csv(root / "addresses.csv", dtype=str, keep_default_na=False)
    assert list(stored.columns) == STORED_COLUMNS
    assert len(stored) == 16
    # An address without a position stays without one (no 0,0 and no "nan").
    row = stored[(stored["street"] == "Motstraat") & (stored["housenumber"] == "1")]
    assert row[["lat", "lon"]].values.tolist() == [["", ""]]
    ds = Dataset.load(root)
    assert ds.meta.name == "Alken"  # named after the municipalities in the register
    assert ds.boundary is not None and ds.problems == []


def test_without_boundary_the_checks_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "alken"
    report = create_dataset(root, FIXTURES / "register_crab.csv", ZONES)
    assert report.boundary == "none"
    assert len(report.notes) == 1 and "skipped" in report.notes[0]
    assert "boundary.geojson" not in files(root)
    assert Dataset.load(root).boundary is None


def test_name_is_written_to_dataset_json(tmp_path: Path) -> None:
    root = tmp_path / "alken"
    create_dataset(root, FIXTURES / "register_crab.csv", ZONES, name="Alken-Centrum")
    assert Dataset.load(root).meta.name == "Alken-Centrum"


def test_an_existing_dataset_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "alken"
    create_dataset(root, FIXTURES / "register_crab.csv", ZONES)
    before = (root / "addresses.csv").read_bytes()
    with pytest.raises(DatasetError, match="already holds a dataset"):
        create_dataset(root, FIXTURES / "register_best.csv", ZONES)
    assert (root / "addresses.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("zones", "boundary", "error"),
    [
        pytest.param("zones_not_json.geojson", None, ZoneFileError, id="not JSON"),
        pytest.param("zones_missing_name.geojson", None, ZoneFileError, id="no name"),
        pytest.param("zones_overlap.geojson", None, ZoneValidationError, id="overlap"),
        pytest.param("zones_bowtie.geojson", None, ZoneValidationError, id="self-intersecting"),
        pytest.param(
            "zones_outside_alken.geojson", BOUNDARY, ZoneValidationError, id="outside the boundary"
        ),
        pytest.param(
            "zones_init_minimal.geojson",
            FIXTURES / "zones_not_json.geojson",
            ZoneFileError,
            id="broken boundary",
        ),
    ],
)
def test_a_broken_zone_file_leaves_no_half_made_dataset(
    tmp_path: Path, zones: str, boundary: Path | None, error: type[ZoneError]
) -> None:
    root = tmp_path / "alken"
    with pytest.raises(error):
        create_dataset(root, FIXTURES / "register_crab.csv", FIXTURES / zones, boundary)
    assert files(root) == set()
    # Nothing is left in the way of a second, correct attempt.
    create_dataset(root, FIXTURES / "register_crab.csv", ZONES)
    assert len(Dataset.load(root).register) == 16


def test_a_broken_register_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "alken"
    with pytest.raises(RegisterError, match="not a known address layout"):
        create_dataset(root, FIXTURES / "register_unknown_layout.csv", ZONES)
    with pytest.raises(GeoError, match="no such address file"):
        create_dataset(root, tmp_path / "missing.csv", ZONES)
    assert files(root) == set()


def test_crab_2013_layout_in_latin1_is_read(tmp_path: Path) -> None:
    frame = read_register_frame(FIXTURES / "register_crab2013_latin1.csv")
    assert frame[["postcode", "municipality", "street", "housenumber"]].values.tolist() == [
        ["3570", "Alken", "Doktoorstraat", "3"],
        ["3570", "Alken", "Heiligenbornstraat", "12"],
        ["4000", "Liège", "Rue de l'Académie", "1"],
    ]
    assert frame["lat"].iloc[0] == pytest.approx(50.87410469306298)
    assert frame["lon"].isna().tolist() == [False, False, True]
    # A dataset made from it answers lookups and stores the register as UTF-8.
    root = tmp_path / "alken"
    create_dataset(root, FIXTURES / "register_crab2013_latin1.csv", ZONES)
    assert "Rue de l'Académie" in (root / "addresses.csv").read_text(encoding="utf-8")
    result = Locator(Dataset.load(root)).lookup("Doktoorstraat 3, 3570 Alken")
    assert [z.id for z in result.zones] == ["oost"]


# -- comparing registers ------------------------------------------------------------------------

TWO_SQUARES = zones_from_geojson(
    collection(feature("west", zone_a), feature("oost", zone_b_sharing_edge))
)
A, B = point_in_a, point_in_b


def test_compare_registers_reports_each_kind_of_change() -> None:
    old = register(
        ("Steenweg", "1", A.x, A.y),
        ("Steenweg", "2", A.x, A.y + 0.001),
        ("Steenweg", "3", B.x, B.y),
        ("Steenweg", "4", None, None),
        ("Steenweg", "6", B.x, B.y - 0.001),
        ("Steenweg", "7A", B.x, B.y - 0.002),
    )
    new = register(
        ("Steenweg", "1", A.x + 1e-6, A.y),  # 7 cm: not a move
        ("Steenweg", "2", B.x, B.y + 0.001),  # to the other square
        ("Steenweg", "4", B.x, B.y + 0.002),  # gets a position
        ("Steenweg", "5", B.x, B.y - 0.003),  # new
        ("Steenweg", "6", B.x + 0.0001, B.y - 0.001),  # 7 m, same zone
        ("Steenweg", "7a", B.x, B.y - 0.002),  # same house number, other spelling
    )
    changes = compare_registers(old, new, TWO_SQUARES)
    assert changes.added == ["Steenweg 5, 3570"]
    assert changes.removed == ["Steenweg 3, 3570"]
    assert changes.moved == ["Steenweg 2, 3570", "Steenweg 4, 3570", "Steenweg 6, 3570"]
    assert changes.zone_changed == [
        ("Steenweg 2, 3570", ("west",), ("oost",)),
        ("Steenweg 4, 3570", (), ("oost",)),
    ]


def test_compare_registers_keys_on_the_postcode() -> None:
    old = register(("Kerkstraat", "1", A.x, A.y, "3570"))
    new = register(("Kerkstraat", "1", A.x, A.y, "3500"))
    changes = compare_registers(old, new, TWO_SQUARES)
    assert changes.added == ["Kerkstraat 1, 3500"]
    assert changes.removed == ["Kerkstraat 1, 3570"]
    assert changes.moved == changes.zone_changed == []  # type: ignore[comparison-overlap]


def test_identical_registers_have_no_changes() -> None:
    reg = register(("Steenweg", "1", A.x, A.y), ("Steenweg", "2", None, None))
    changes = compare_registers(reg, reg, TWO_SQUARES)
    assert (changes.added, changes.removed, changes.moved, changes.zone_changed) == ([], [], [], [])


# -- refreshing a dataset's register ------------------------------------------------------------


@pytest.fixture
def alken_small(tmp_path: Path) -> Path:
    """Return a dataset made from the CRAB fixture and the two minimal zones."""
    root = tmp_path / "alken"
    create_dataset(root, FIXTURES / "register_crab.csv", ZONES, BOUNDARY)
    return root


@pytest.fixture
def refreshed(tmp_path: Path) -> Path:
    """Return the CRAB fixture with Doktoorstraat 3 gone, Motstraat 14 new and Heiligenbornstraat 12 moved into oost."""
    lines = (FIXTURES / "register_crab.csv").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if line.startswith("3570,Alken,Doktoorstraat,3,"):
            continue
        if line.startswith("3570,Alken,Heiligenbornstraat,12,"):
            line = "3570,Alken,Heiligenbornstraat,12,50.875,5.31"
        out.append(line)
    out.append("3570,Alken,Motstraat,14,50.8736,5.3085")
    path = tmp_path / "new.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_import_dry_run_reports_and_writes_nothing(alken_small: Path, refreshed: Path) -> None:
    Dataset.load(alken_small)  # the cache exists before, so the dry run has no reason to write
    before = {p: p.read_bytes() for p in alken_small.rglob("*") if p.is_file()}
    changes = import_addresses(alken_small, refreshed, dry_run=True)
    assert changes.added == ["Motstraat 14, 3570"]
    assert changes.removed == ["Doktoorstraat 3, 3570"]
    assert changes.moved == ["Heiligenbornstraat 12, 3570"]
    assert changes.zone_changed == [("Heiligenbornstraat 12, 3570", ("west",), ("oost",))]
    assert {p: p.read_bytes() for p in alken_small.rglob("*") if p.is_file()} == before


def test_import_replaces_the_register(alken_small: Path, refreshed: Path) -> None:
    changes = import_addresses(alken_small, refreshed)
    assert changes.added == ["Motstraat 14, 3570"]
    ds = Dataset.load(alken_small)
    assert len(ds.register) == 16
    locator = Locator(ds)
    assert [z.id for z in locator.lookup("Heiligenbornstraat 12").zones] == ["oost"]
    assert locator.lookup("Motstraat 14").precision == "address"
    assert locator.lookup("Doktoorstraat 3").status != "found"


def test_import_from_a_best_file(alken_small: Path) -> None:
    # The same addresses in the BeST layout: positions agree to the millimetre, so nothing changed.
    changes = import_addresses(alken_small, FIXTURES / "register_best.csv")
    assert (changes.added, changes.removed, changes.moved, changes.zone_changed) == ([], [], [], [])


def test_import_of_a_broken_register_keeps_the_old_one(alken_small: Path) -> None:
    before = (alken_small / "addresses.csv").read_bytes()
    with pytest.raises(RegisterError):
        import_addresses(alken_small, FIXTURES / "register_unknown_layout.csv")
    assert (alken_small / "addresses.csv").read_bytes() == before


def test_import_into_a_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        import_addresses(tmp_path / "nope", FIXTURES / "register_crab.csv")


# -- where a register's municipality comes from -------------------------------------------------


def register_without_municipality(tmp_path: Path) -> Path:
    frame = pd.read_csv(FIXTURES / "register_crab.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "register.csv"
    frame.drop(columns=["municipality"]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("boundary", "source"),
    [
        pytest.param(BOUNDARY, "from the boundary", id="boundary"),
        pytest.param(None, "from the postcode", id="postcode table"),
    ],
)
def test_municipality_never_comes_from_the_folder_name(
    tmp_path: Path, boundary: Path | None, source: str
) -> None:
    root = tmp_path / "mijn-dataset"
    report = create_dataset(root, register_without_municipality(tmp_path), ZONES, boundary)
    assert report.municipalities == ["Alken"]
    # Positioned addresses are placed by the boundary; those without a position by the postcode.
    assert any(source in note for note in report.notes)
    ds = Dataset.load(root)
    assert ds.meta.name == "Alken"
    assert ds.municipalities.names == ["Alken"]
    stored = pd.read_csv(root / "addresses.csv", dtype=str, keep_default_na=False)
    assert set(stored["municipality"]) == {"Alken"}


def test_a_number_without_position_takes_its_streets_municipality(tmp_path: Path) -> None:
    # 3220 is both Holsbeek and Lubbeek: the postcode cannot say; the street's other numbers can.
    frame = pd.read_csv(FIXTURES / "register_crab.csv", dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["municipality"])
    street = frame["street"] == "Heiligenbornstraat"
    frame.loc[street, "postcode"] = "3220"
    unplaced = frame.index[street][:2]
    frame.loc[unplaced, ["lat", "lon"]] = ""
    path = tmp_path / "register.csv"
    frame.to_csv(path, index=False)
    report = create_dataset(tmp_path / "ds", path, ZONES, BOUNDARY)
    assert report.municipalities == ["Alken"]
    assert any(note.endswith("taken from their street") for note in report.notes)
    stored = pd.read_csv(tmp_path / "ds" / "addresses.csv", dtype=str, keep_default_na=False)
    assert set(stored.loc[stored["postcode"] == "3220", "municipality"]) == {"Alken"}
    # A street with no positioned number left is still refused, in one line that says what to do.
    frame.loc[street, ["lat", "lon"]] = ""
    frame.to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"postcode 3220\) have no municipality: add a"):
        create_dataset(tmp_path / "ds2", path, ZONES, BOUNDARY)


def test_wijken_in_lambert72_with_uppercase_ids_make_a_dataset(tmp_path: Path) -> None:
    root = tmp_path / "alken"
    report = create_dataset(
        root, FIXTURES / "register_crab.csv", FIXTURES / "wijken_lambert72.shp", BOUNDARY
    )
    assert report.renamed == {"73001W01": "73001w01", "73001W02": "73001w02"}
    assert any("reprojected from Belgian Lambert 72" in note for note in report.notes)
    ds = Dataset.load(root)
    assert [z.id for z in ds.zones] == ["73001w01", "73001w02"]
    assert Locator(ds).lookup("Heiligenbornstraat 12").status == "no_zone"  # west of both
