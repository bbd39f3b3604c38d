"""``GET /api/coverage`` and ``GET /dekking`` against an independent computation.

The reference numbers come straight from the files with geopandas (a spatial join of the register's
points with the zone polygons in Lambert 72), not from wabp's assignment table. So that the two must
agree exactly, the dataset is Alken without what only wabp's rules decide: the street rules are
dropped and the addresses without a position are left out. One infobord is moved into the
neighbouring zone, and the member cap is lowered so that some groups are over it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA
from tests.service.apps import app_settings, copy_dataset
from zones.coverage import Coverage, describe_numbers

MEMBER_CAP = 500
MOVED_BOARD = "infobord-heiligenborn"
MOVED_INTO = "sint-joris"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coverage") / "data"
    copy_dataset(root)
    addresses = pd.read_csv(root / "addresses.csv", dtype=str, keep_default_na=False)
    addresses[addresses["lat"] != ""].to_csv(root / "addresses.csv", index=False)
    zones = json.loads((root / "zones.geojson").read_text(encoding="utf-8"))
    for feature in zones["features"]:
        feature["properties"].pop("streets", None)
    (root / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    (root / "dataset.json").write_text(json.dumps({**meta, "member_cap": MEMBER_CAP}), "utf-8")
    boards = json.loads((root / "infoborden.geojson").read_text(encoding="utf-8"))
    target = gpd.read_file(root / "zones.geojson").set_index("id").loc[MOVED_INTO, "geometry"]
    point = target.representative_point()
    for feature in boards["features"]:
        if feature["properties"]["id"] == MOVED_BOARD:
            feature["geometry"]["coordinates"] = [round(point.x, 7), round(point.y, 7)]
    (root / "infoborden.geojson").write_text(json.dumps(boards), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def client(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("db") / "wabp.sqlite"
    settings = app_settings(data_dir, f"sqlite:///{db}")
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def expected(data_dir: Path) -> dict[str, Any]:
    """Compute the coverage from the files alone: points covered by polygons, in Lambert 72."""
    frame = pd.read_csv(data_dir / "addresses.csv", dtype=str, keep_default_na=False)
    points = gpd.GeoDataFrame(
        frame,
        geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)),
        crs=4326,
    ).to_crs(31370)
    zones = gpd.read_file(data_dir / "zones.geojson").to_crs(31370)
    joined = gpd.sjoin(points, zones[["id", "geometry"]], predicate="covered_by", how="left")
    covered = joined.dropna(subset=["id"]).index.unique()
    outside = frame.drop(index=covered)
    per_street = frame.groupby("street").size()
    boards = gpd.read_file(data_dir / "infoborden.geojson").to_crs(31370)
    by_zone = zones.set_index("id").geometry
    board_outside = {
        row.id: round(float(by_zone[row.zone_id].distance(row.geometry)), 1)
        for row in boards.itertuples()
        if not by_zone[row.zone_id].covers(row.geometry)
    }
    return {
        "addresses": len(frame),
        "in_zone": len(covered),
        "per_zone": joined.dropna(subset=["id"]).groupby("id").size().to_dict(),
        "uncovered": {
            street: (count, count == per_street[street])
            for street, count in outside.groupby("street").size().items()
        },
        "boards": board_outside,
    }


@pytest.fixture(scope="module")
def report(client: TestClient) -> Coverage:
    response = client.get("/api/coverage")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return Coverage.model_validate(response.json())


def test_share_of_addresses_in_a_zone(report: Coverage, expected: dict[str, Any]) -> None:
    assert report.addresses == expected["addresses"]
    assert report.in_zone == expected["in_zone"]
    assert report.share_in_zone == pytest.approx(expected["in_zone"] / expected["addresses"])
    assert 0 < report.in_zone < report.addresses


def test_addresses_per_zone_against_the_member_cap(
    report: Coverage, expected: dict[str, Any]
) -> None:
    assert report.member_cap == MEMBER_CAP
    assert {z.id: z.addresses for z in report.zones} == expected["per_zone"]
    over = {z.id for z in report.zones if z.over_cap}
    assert over == {z for z, n in expected["per_zone"].items() if n > MEMBER_CAP}
    assert over and len(over) < len(report.zones)
    for zone in report.zones:
        assert zone.share_of_cap == pytest.approx(zone.addresses / MEMBER_CAP)


def test_streets_in_no_zone(report: Coverage, expected: dict[str, Any]) -> None:
    got = {s.street: (s.addresses, s.whole_street) for s in report.uncovered_streets}
    assert got == expected["uncovered"]
    # Partly covered streets are listed too, with the numbers that are outside.
    assert any(not whole for _, whole in got.values())
    assert all(s.numbers for s in report.uncovered_streets)
    assert sum(s.addresses for s in report.uncovered_streets) == report.addresses - report.in_zone


def test_infoborden_outside_their_zone(report: Coverage, expected: dict[str, Any]) -> None:
    got = {b.id: b for b in report.infoborden_outside}
    assert set(got) == set(expected["boards"]) == {MOVED_BOARD}
    board = got[MOVED_BOARD]
    assert board.reason == "outside" and board.zone_id == "heiligenborn"
    assert board.distance_m == pytest.approx(expected["boards"][MOVED_BOARD], abs=0.2)


def test_coverage_page(client: TestClient, report: Coverage) -> None:
    response = client.get("/dekking")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="nl">' in html
    in_zone = f"{report.in_zone:,}".replace(",", ".")
    total = f"{report.addresses:,}".replace(",", ".")
    assert f"{in_zone} van de {total} adressen" in html
    assert "Meer adressen dan de limiet" in html
    assert html.count("<tr>") == len(report.zones) + 1
    assert "Infobord WABP Heiligenborn: staat" in html


def test_shipped_data_adds_up(tmp_path: Path) -> None:
    """With street rules and unpositioned addresses (the shipped data), the counts still agree."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=DATA,
        database_url=f"sqlite:///{tmp_path / 'wabp.sqlite'}",
        secret_key=SecretStr("d" * 32),
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        report = Coverage.model_validate(client.get("/api/coverage").json())
    frame = pd.read_csv(DATA / "addresses.csv", dtype=str)
    assert report.addresses == len(frame)
    assert sum(s.addresses for s in report.uncovered_streets) == report.addresses - report.in_zone
    # A whole street in no zone is never named by a zone's street rules.
    ruled = {
        rule["name"]
        for f in json.loads((DATA / "zones.geojson").read_text(encoding="utf-8"))["features"]
        for rule in f["properties"].get("streets", [])
    }
    assert not {s.street for s in report.uncovered_streets if s.whole_street} & ruled


@pytest.mark.parametrize(
    ("labels", "chosen", "text"),
    [
        pytest.param(["1", "2", "3", "4"], [1, 1, 1, 1], "1-4", id="whole-street"),
        pytest.param(["1", "2", "3", "4", "5"], [1, 1, 0, 1, 1], "1-2, 4-5", id="gap"),
        pytest.param(["1", "2", "3", "4", "5", "6"], [1, 0, 1, 0, 1, 0], "1-5 (oneven)", id="odd"),
        pytest.param(
            [str(n) for n in range(1, 11)],
            [0, 1, 1, 1, 0, 1, 0, 1, 0, 1],
            "3 (oneven); 2-10 (even)",
            id="per-side-when-shorter",
        ),
        pytest.param(["2", "2A", "4"], [0, 1, 0], "2A", id="suffix"),
    ],
)
def test_house_numbers_are_described_compactly(
    labels: list[str], chosen: list[int], text: str
) -> None:
    numbers = [int("".join(c for c in label if c.isdigit())) for label in labels]
    assert describe_numbers(labels, numbers, [bool(c) for c in chosen]) == text
