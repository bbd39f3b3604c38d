"""Loading a dataset directory: what is required, and a zone set with errors refused at load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geo.errors import RegisterError
from tests.common import DATA, FIXTURES
from zones.dataset import Dataset
from zones.errors import DatasetError, ZoneFileError, ZoneValidationError
from zones.lookup import Locator


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Return a dataset directory: the tiny CRAB fixture, the two-square zones and Alken's boundary."""
    shutil.copy(FIXTURES / "register_crab.csv", tmp_path / "addresses.csv")
    shutil.copy(FIXTURES / "zones_valid.geojson", tmp_path / "zones.geojson")
    shutil.copy(DATA / "boundary.geojson", tmp_path / "boundary.geojson")
    return tmp_path


def test_small_dataset_loads(small: Path) -> None:
    ds = Dataset.load(small, cache=False)
    assert len(ds.register) == 16
    assert [z.id for z in ds.zones] == ["west", "oost"]
    assert ds.boundary is not None and ds.infoborden == []
    # Doktoorstraat is listed by "west" and is in the register; Steenweg is not in this register.
    assert [(p.code, p.zones) for p in ds.problems] == [
        ("unknown_street", ("west",)),
        ("unknown_street", ("oost",)),
    ]
    assert len(ds.table) == len(ds.register)


def test_no_such_directory(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset directory"):
        Dataset.load(tmp_path / "nope")


def test_addresses_are_required(small: Path) -> None:
    (small / "addresses.csv").unlink()
    with pytest.raises(DatasetError, match="no addresses.csv"):
        Dataset.load(small)


def test_zones_are_optional(small: Path) -> None:
    (small / "zones.geojson").unlink()
    ds = Dataset.load(small, cache=False)
    assert len(ds.zones) == 0
    assert all(row.zone_ids == () for row in ds.table)


def test_bad_dataset_json(small: Path) -> None:
    (small / "dataset.json").write_text('{"member_cap": 0}', encoding="utf-8")
    with pytest.raises(DatasetError, match="dataset.json"):
        Dataset.load(small)


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("zones_overlap.geojson", "overlap"),
        ("zones_bowtie.geojson", "invalid_geometry"),
        ("zones_outside_alken.geojson", "outside_municipality"),
    ],
)
def test_zone_errors_refuse_a_strict_load(small: Path, fixture: str, code: str) -> None:
    shutil.copy(FIXTURES / fixture, small / "zones.geojson")
    with pytest.raises(ZoneValidationError) as info:
        Dataset.load(small, cache=False)
    assert [p.code for p in info.value.problems] == [code]
    lenient = Dataset.load(small, strict=False, cache=False)
    assert code in [p.code for p in lenient.problems]


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        pytest.param(["zones.geojson", "addresses.csv"], ZoneFileError, id="zones before register"),
        pytest.param(
            ["addresses.csv", "boundary.geojson"], RegisterError, id="register before boundary"
        ),
        pytest.param(["boundary.geojson"], ZoneFileError, id="boundary"),
    ],
)
def test_broken_files_are_reported_in_reading_order(
    small: Path, broken: list[str], error: type[Exception]
) -> None:
    # The zone and boundary files are read on another thread while the register is read; the
    # error is the one reading them one after the other meets first.
    for name in broken:
        (small / name).write_text("" if name == "addresses.csv" else "{", encoding="utf-8")
    with pytest.raises(error):
        Dataset.load(small, cache=False)


def test_shipped_dataset(alken: Dataset) -> None:
    assert alken.meta.member_cap >= 1
    assert len(alken.register) == 4574
    assert len(alken.zones) == 9
    assert alken.boundary is not None
    assert len(alken.infoborden) == 9


def test_lookup_without_zones_says_start_a_group(small: Path) -> None:
    (small / "zones.geojson").unlink()
    locator = Locator(Dataset.load(small, cache=False))
    assert locator.lookup("Doktoorstraat 3").status == "no_zone"
    assert locator.lookup_point(5.303643026908005, 50.87410469306298).status == "no_zone"
