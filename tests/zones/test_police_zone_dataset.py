"""A dataset of five municipalities: PZ Kanton Borgloon (2024) from small files shaped like the real ones.

`tests/fixtures/pz/` (see the fixtures README): `addresses.csv` in the columns of the shared CRAB
extract, `gemeenten_2024.geojson` shaped like `gemeente2024` (`gemeente` NIS code, `naam`) and
`wijken_ggw7.geojson` shaped like `ggw7` (uppercase `geoitem` ids, Borgloon's wijk coded under
Tongeren-Borgloon as in the real layer), both with the CRS84 `crs` member geopandas writes.
Kerkstraat 1 exists in Borgloon and in Heers; Dorpsstraat 2 in Kortessem and in Wellen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.police_zone import PZ, create_pz_dataset
from zones.dataset import Dataset
from zones.importing import import_addresses
from zones.lookup import Locator
from zones.municipal import UnknownMunicipalityError

FIVE = ["Alken", "Borgloon", "Heers", "Kortessem", "Wellen"]


@pytest.fixture(scope="module")
def pz_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    root = tmp_path_factory.mktemp("pz") / "kanton-borgloon"
    report = create_pz_dataset(root)
    assert report.municipalities == FIVE
    assert report.renamed["73111W01"] == "73111w01"
    return Dataset.load(root)


@pytest.fixture(scope="module")
def locator(pz_dataset: Dataset) -> Locator:
    return Locator(pz_dataset)


def test_the_dataset_knows_its_municipalities_and_police_zone(pz_dataset: Dataset) -> None:
    held = pz_dataset.municipalities
    assert held.names == FIVE
    assert [(m.name, m.nis, m.postcodes) for m in held.items][3] == (
        "Kortessem",
        "73040",
        ["3720", "3722"],
    )
    zone = held.police_zone("PZ Kanton Borgloon")
    assert (zone.name, zone.code, zone.municipalities) == ("Kanton Borgloon", "ipz111", FIVE)
    assert held.police_zone("kanton borgloon") is zone
    assert held.find("Tongeren-Borgloon").name == "Borgloon"  # the 2025 name finds it too
    assert held.find("73040").name == "Kortessem"
    assert pz_dataset.meta.name == "Kanton Borgloon"
    with pytest.raises(UnknownMunicipalityError, match="it holds: Alken, Borgloon, Heers"):
        held.find("Gent")
    with pytest.raises(UnknownMunicipalityError, match="it holds: Kanton Borgloon"):
        held.police_zone("Haspengouw")


@pytest.mark.parametrize(
    ("query", "municipality", "label"),
    [
        pytest.param(
            "Kerkstraat 1, Borgloon", "Borgloon", "Tongeren-Borgloon (Borgloon)", id="old name"
        ),
        pytest.param(
            "Kerkstraat 1, Tongeren-Borgloon",
            "Borgloon",
            "Tongeren-Borgloon (Borgloon)",
            id="new name",
        ),
        pytest.param(
            "Kerkstraat 1 Bommershoven",
            "Borgloon",
            "Tongeren-Borgloon (Borgloon)",
            id="deelgemeente",
        ),
        pytest.param("Kerkstraat 1, Heers", "Heers", "Heers", id="same street in Heers"),
        pytest.param(
            "Dorpsstraat 2, Kortessem", "Kortessem", "Hasselt (Kortessem)", id="Kortessem"
        ),
        pytest.param("Dorpsstraat 2, Hasselt", "Kortessem", "Hasselt (Kortessem)", id="Hasselt"),
        pytest.param(
            "Wintershovenstraat 8, Hasselt", "Kortessem", "Hasselt (Kortessem)", id="3722"
        ),
        pytest.param("Molenstraat 2, Alken", "Alken", "Alken", id="Alken"),
    ],
)
def test_old_and_new_names_find_the_address(
    locator: Locator, query: str, municipality: str, label: str
) -> None:
    result = locator.lookup(query)
    assert result.status in ("found", "no_zone"), result.message
    assert result.address is not None
    assert result.address.municipality == municipality  # as the register and registrations write it
    assert result.address.municipality_label == label
    assert label in result.message


def test_an_address_in_a_wijk_gets_that_municipality_s_zone(locator: Locator) -> None:
    result = locator.lookup("Kerkstraat 1, Tongeren-Borgloon")
    assert [z.id for z in result.zones] == ["73111w01"]
    assert [z.name for z in result.zones] == ["Borgloon-centrum"]


@pytest.mark.parametrize(
    ("query", "municipalities"),
    [
        pytest.param("Kerkstraat 1", {"Borgloon", "Heers"}, id="Kerkstraat 1"),
        pytest.param("Dorpsstraat 2", {"Kortessem", "Wellen"}, id="Dorpsstraat 2"),
    ],
)
def test_a_street_in_two_municipalities_asks_without_a_place(
    locator: Locator, query: str, municipalities: set[str]
) -> None:
    result = locator.lookup(query)
    assert result.status == "ambiguous"
    # Both that have the number come first (a street without it may follow).
    assert {c.address.municipality for c in result.candidates[:2]} == municipalities


def test_a_number_only_one_of_them_has_decides(locator: Locator) -> None:
    result = locator.lookup("Kerkstraat 20")  # only Wellen's Kerkstraat has 20
    assert result.status == "found"
    assert result.address is not None and result.address.municipality == "Wellen"


def test_a_place_outside_the_police_zone_is_not_served(locator: Locator) -> None:
    assert locator.lookup("Kerkstraat 1, Tongeren").status == "not_found"


def test_a_refreshed_register_keeps_the_police_zone_and_fills_municipalities(
    tmp_path: Path,
) -> None:
    root = tmp_path / "pz"
    create_pz_dataset(root)
    # The new register has no municipality column, and an address of Hasselt proper (3500).
    frame = pd.read_csv(PZ / "addresses.csv", dtype=str, keep_default_na=False)
    extra = frame.iloc[[0]].assign(postcode="3500", street="Grote Markt", lat="50.93", lon="5.34")
    refreshed = tmp_path / "refreshed.csv"
    pd.concat([frame, extra]).drop(columns=["municipality"]).to_csv(refreshed, index=False)
    changes = import_addresses(root, refreshed)
    assert changes.added == [] and changes.removed == []
    stored = pd.read_csv(root / "addresses.csv", dtype=str, keep_default_na=False)
    assert sorted(set(stored["municipality"])) == FIVE
