"""The dataset commands of the wabp command line: init, import-addresses and lookup-file.

A new municipality set up with one ``wabp init`` command answers lookups correctly. Everything is
written under tmp_path: the lookup-file tests read a copy of the shipped data, not data/ itself.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import LOOKUP_FILE_COLUMNS, app
from tests.common import DATA, FIXTURES
from tests.service.apps import copy_dataset

runner = CliRunner()
ZONES = FIXTURES / "zones_init_minimal.geojson"  # west: Heiligenborn, St. Joris; oost: Motstraat


def wabp(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Any) -> str:
    """Return the only line a failed command printed, checking it is an error without a traceback."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def alken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of the shipped Alken dataset (its load cache then lands in the copy)."""
    root = tmp_path_factory.mktemp("shipped") / "alken"
    copy_dataset(root)
    return root


# -- wabp init ----------------------------------------------------------------------------------


@pytest.mark.parametrize("register_file", ["register_crab.csv", "register_best.csv"])
def test_init_then_lookup_answers_from_the_new_dataset(tmp_path: Path, register_file: str) -> None:
    root = tmp_path / "alken"
    result = wabp(
        "init", root, "--addresses", FIXTURES / register_file, "--zones", ZONES,
        "--boundary", DATA / "boundary.geojson",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"created {root}: 16 addresses in postcode(s) 3570, 2 zones, "
        f"boundary: {DATA / 'boundary.geojson'}\n"
        "municipalities: Alken\n"
    )

    found = wabp("lookup", "Heiligenbornstraat 12, 3570 Alken", "--json", "--data", root)
    assert found.exit_code == 0, found.output
    body = json.loads(found.stdout)
    assert body["status"] == "found"
    assert [(z["id"], z["name"]) for z in body["zones"]] == [("west", "WABP West")]

    text = wabp("lookup", "motstraat10", "--data", root)
    assert text.exit_code == 0
    assert "WABP Oost" in text.stdout

    assert wabp("lookup", "Claes d'Erckenteelplein 1", "--data", root).exit_code == 0  # no_zone
    assert wabp("lookup", "Waterkant 1", "--data", root).exit_code == 1  # not in this register


def test_init_of_a_lambert72_shapefile_prints_the_slugs_and_the_reprojection(
    tmp_path: Path,
) -> None:
    result = wabp(
        "init", tmp_path / "d", "--addresses", FIXTURES / "register_crab.csv",
        "--zones", FIXTURES / "wijken_lambert72.shp", "--boundary", DATA / "boundary.geojson",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:5] == [
        "municipalities: Alken",
        "zone ids made slugs (the original is kept as property source_id):",
        "  73001W01 -> 73001w01",
        "  73001W02 -> 73001w02",
    ]
    assert (
        "note: wijken_lambert72.shp: reprojected from Belgian Lambert 72 (EPSG:31370) to WGS84"
        in result.stdout
    )


def test_init_without_boundary_notes_the_skipped_checks(tmp_path: Path) -> None:
    result = wabp(
        "init", tmp_path / "d", "--addresses", FIXTURES / "register_crab.csv", "--zones", ZONES
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("boundary: none")
    assert lines[1:] == [
        "municipalities: Alken",
        "note: no --boundary given: the checks 'inside the municipality' are skipped",
    ]


def test_init_name_option(tmp_path: Path) -> None:
    root = tmp_path / "d"
    result = wabp(
        "init", root, "--addresses", FIXTURES / "register_crab.csv", "--zones", ZONES,
        "--name", "Alken-Centrum",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        json.loads((root / "dataset.json").read_text(encoding="utf-8"))["name"] == "Alken-Centrum"
    )


def test_init_refuses_an_existing_dataset(tmp_path: Path) -> None:
    root = tmp_path / "d"
    args: list[str | Path] = ["--addresses", FIXTURES / "register_crab.csv", "--zones", ZONES]
    assert wabp("init", root, *args).exit_code == 0
    result = wabp("init", root, *args)
    assert result.exit_code == 1
    assert "already holds a dataset" in one_error_line(result)


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        pytest.param("zones_not_json.geojson", "not valid JSON", id="not JSON"),
        pytest.param("zones_bowtie.geojson", "Self-intersection", id="self-intersecting"),
        pytest.param("zones_overlap.geojson", "overlap", id="overlapping"),
    ],
)
def test_init_with_a_broken_zone_file_is_one_line_and_writes_nothing(
    tmp_path: Path, zones: str, expected: str
) -> None:
    root = tmp_path / "d"
    result = wabp(
        "init", root, "--addresses", FIXTURES / "register_crab.csv", "--zones", FIXTURES / zones
    )
    assert result.exit_code == 1
    assert expected in one_error_line(result)
    assert not (root / "addresses.csv").exists()
    assert not (root / "zones.geojson").exists()


def test_init_usage_errors_exit_2(tmp_path: Path) -> None:
    assert wabp("init", tmp_path / "d", "--zones", ZONES).exit_code == 2  # no --addresses
    assert (
        wabp("init", "--addresses", FIXTURES / "register_crab.csv", "--zones", ZONES).exit_code == 2
    )


# -- wabp import-addresses ----------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Return a dataset made with `wabp init` from the CRAB fixture and the two minimal zones."""
    root = tmp_path / "alken"
    result = wabp(
        "init", root, "--addresses", FIXTURES / "register_crab.csv", "--zones", ZONES,
        "--boundary", DATA / "boundary.geojson",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def refreshed(tmp_path: Path) -> Path:
    """Return the CRAB fixture with Doktoorstraat 3 gone, Motstraat 14 new, Heiligenbornstraat 12 moved into oost."""
    text = (FIXTURES / "register_crab.csv").read_text(encoding="utf-8")
    lines = [
        line for line in text.splitlines() if not line.startswith("3570,Alken,Doktoorstraat,3,")
    ]
    lines = [
        "3570,Alken,Heiligenbornstraat,12,50.875,5.31"
        if line.startswith("3570,Alken,Heiligenbornstraat,12,")
        else line
        for line in lines
    ]
    path = tmp_path / "new.csv"
    path.write_text(
        "\n".join([*lines, "3570,Alken,Motstraat,14,50.8736,5.3085"]) + "\n", encoding="utf-8"
    )
    return path


def test_import_dry_run_prints_the_counts_and_writes_nothing(small: Path, refreshed: Path) -> None:
    before = (small / "addresses.csv").read_bytes()
    result = wabp("import-addresses", refreshed, "--data", small, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added 1, removed 1, moved 1, now in another zone 1",
        "  Heiligenbornstraat 12, 3570: west -> oost",
        "dry run: nothing written",
    ]
    assert (small / "addresses.csv").read_bytes() == before
    assert "WABP West" in wabp("lookup", "Heiligenbornstraat 12", "--data", small).stdout


def test_import_replaces_the_register(small: Path, refreshed: Path) -> None:
    result = wabp("import-addresses", refreshed, "--data", small)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "register replaced"
    assert "WABP Oost" in wabp("lookup", "Heiligenbornstraat 12", "--data", small).stdout


def test_import_of_an_unknown_layout_is_one_line(small: Path) -> None:
    result = wabp("import-addresses", FIXTURES / "register_unknown_layout.csv", "--data", small)
    assert result.exit_code == 1
    assert "not a known address layout" in one_error_line(result)


# -- wabp lookup-file ---------------------------------------------------------------------------


def write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding=encoding)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_lookup_file_adds_the_wabp_columns(tmp_path: Path, alken: Path) -> None:
    infile = write_csv(
        tmp_path / "in.csv",
        [
            ["naam", "address", "opmerking"],
            ["Jan", "Heiligenbornstraat 12, 3570 Alken", "tuin, achteraan"],
            ["Piet", "motstraat10", ""],
            ["Klaas", "hello", "geen adres"],
            ["Mia", "", "leeg"],
            ["Els", "Grootstraat 2, 3570 Alken", "José"],
        ],
    )
    out = tmp_path / "out" / "result.csv"
    result = wabp("lookup-file", infile, "--out", out, "--data", alken)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 5 addresses (found 2, no_zone 1, not_found 2)" in result.stdout

    with open(out, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["naam", "address", "opmerking", *LOOKUP_FILE_COLUMNS]
    rows = read_csv(out)
    # The input columns are kept as they were.
    assert [(r["naam"], r["address"], r["opmerking"]) for r in rows] == [
        ("Jan", "Heiligenbornstraat 12, 3570 Alken", "tuin, achteraan"),
        ("Piet", "motstraat10", ""),
        ("Klaas", "hello", "geen adres"),
        ("Mia", "", "leeg"),
        ("Els", "Grootstraat 2, 3570 Alken", "José"),
    ]
    jan, piet, klaas, mia, els = rows
    assert {
        k: jan[k] for k in ("wabp_status", "wabp_street", "wabp_housenumber", "wabp_postcode")
    } == {
        "wabp_status": "found",
        "wabp_street": "Heiligenbornstraat",
        "wabp_housenumber": "12",
        "wabp_postcode": "3570",
    }
    assert (jan["wabp_municipality"], jan["wabp_zone_id"], jan["wabp_zone_name"]) == (
        "Alken", "heiligenborn", "WABP Heiligenborn",
    )  # fmt: skip
    assert jan["wabp_precision"] == "address"
    assert float(jan["wabp_lat"]) == pytest.approx(50.8710669, abs=1e-6)
    assert float(jan["wabp_lon"]) == pytest.approx(5.2562043, abs=1e-6)
    assert (piet["wabp_street"], piet["wabp_zone_id"]) == ("Motstraat", "klameer-hamee")
    # Not an address: not_found, with no address, zone or position.
    for row in (klaas, mia):
        assert row["wabp_status"] == "not_found"
        assert row["wabp_street"] == row["wabp_zone_id"] == row["wabp_lat"] == ""
    assert mia["wabp_warnings"] == "invalid_query"
    assert (els["wabp_status"], els["wabp_zone_id"]) == ("no_zone", "")


def test_lookup_file_column_option(tmp_path: Path, alken: Path) -> None:
    infile = write_csv(
        tmp_path / "in.csv", [["id", "adres"], ["1", "motstraat10"], ["2", "St. Jorisstraat 10"]]
    )
    out = tmp_path / "out.csv"
    result = wabp("lookup-file", infile, "--out", out, "--column", "adres", "--data", alken)
    assert result.exit_code == 0, result.output
    assert [r["wabp_status"] for r in read_csv(out)] == ["found", "found"]


def test_lookup_file_street_and_number_columns(tmp_path: Path, alken: Path) -> None:
    infile = write_csv(
        tmp_path / "in.csv",
        [["street", "housenumber", "postcode"], ["Heiligenbornstraat", "12", "3570"]],
    )
    out = tmp_path / "out.csv"
    assert wabp("lookup-file", infile, "--out", out, "--data", alken).exit_code == 0
    (row,) = read_csv(out)
    assert (row["street"], row["wabp_street"], row["wabp_zone_id"]) == (
        "Heiligenbornstraat", "Heiligenbornstraat", "heiligenborn",
    )  # fmt: skip


def test_lookup_file_missing_column_is_exit_2_with_one_line(tmp_path: Path, alken: Path) -> None:
    infile = write_csv(tmp_path / "in.csv", [["naam", "address"], ["Jan", "motstraat10"]])
    out = tmp_path / "out.csv"
    result = wabp("lookup-file", infile, "--out", out, "--column", "adres", "--data", alken)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "'adres'" in line and "naam, address" in line
    assert not out.exists()


def test_lookup_file_missing_input_is_one_line(tmp_path: Path, alken: Path) -> None:
    result = wabp(
        "lookup-file", tmp_path / "nope.csv", "--out", tmp_path / "out.csv", "--data", alken
    )
    assert result.exit_code == 1
    one_error_line(result)


def test_lookup_file_header_only(tmp_path: Path, alken: Path) -> None:
    infile = write_csv(tmp_path / "in.csv", [["naam", "address"]])
    out = tmp_path / "out.csv"
    result = wabp("lookup-file", infile, "--out", out, "--data", alken)
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [["naam", "address", *LOOKUP_FILE_COLUMNS]]


def test_lookup_file_ragged_rows(tmp_path: Path, alken: Path) -> None:
    # Spreadsheet exports: a row with a missing cell and a row with one cell too many.
    infile = tmp_path / "in.csv"
    infile.write_text(
        "address,naam\nmotstraat10\nHeiligenbornstraat 12,Jan,extra\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    result = wabp("lookup-file", infile, "--out", out, "--data", alken)
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [(r["address"], r["naam"], r["wabp_zone_id"]) for r in rows] == [
        ("motstraat10", "", "klameer-hamee"),
        ("Heiligenbornstraat 12", "Jan", "heiligenborn"),
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        pytest.param("cp1252", ",", id="Windows-1252"),
        pytest.param("utf-8-sig", ";", id="semicolons (Excel, Belgian locale)"),
        pytest.param("cp1252", ";", id="Excel CSV as saved in Belgium"),
    ],
)
def test_lookup_file_reads_spreadsheet_exports(
    tmp_path: Path, alken: Path, encoding: str, delimiter: str
) -> None:
    rows = [["naam", "address"], ["José", "Claes d’Erckenteelplein 1"], ["Zoë", "motstraat10"]]
    infile = write_csv(tmp_path / "in.csv", rows, encoding=encoding, delimiter=delimiter)
    out = tmp_path / "out.csv"
    result = wabp("lookup-file", infile, "--out", out, "--data", alken)
    assert result.exit_code == 0, result.output
    got = read_csv(out)
    assert [r["naam"] for r in got] == ["José", "Zoë"]
    assert [r["wabp_street"] for r in got] == ["Claes d'Erckenteelplein", "Motstraat"]
