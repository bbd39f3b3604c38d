"""Contract of /api/zones, /api/groups, /healthz and the map page."""

from __future__ import annotations

from pathlib import Path

import shapely
from fastapi.testclient import TestClient

from service.app import create_app
from service.models import Group, Health
from tests.conftest import DATA
from tests.service.apps import app_settings
from zones.dataset import Dataset
from zones.storage import zones_from_geojson


def test_zones_are_geojson(client: TestClient, dataset: Dataset) -> None:
    response = client.get("/api/zones")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    zones = zones_from_geojson(response.json())
    assert [z.id for z in zones] == [z.id for z in dataset.zones]
    for served, loaded in zip(zones, dataset.zones, strict=True):
        assert shapely.equals_exact(
            shapely.normalize(served.geometry), shapely.normalize(loaded.geometry), 1e-7
        )


def test_one_zone(client: TestClient) -> None:
    response = client.get("/api/zones/heiligenborn")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == "WABP Heiligenborn"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_unknown_zone_is_404(client: TestClient) -> None:
    response = client.get("/api/zones/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_zone"


def test_groups_list(client: TestClient) -> None:
    response = client.get("/api/groups")
    assert response.status_code == 200
    groups = [Group.model_validate(g) for g in response.json()]
    assert len(groups) == 9
    by_id = {g.id: g for g in groups}
    assert [s.text for s in by_id["heiligenborn"].streets] == ["Heiligenbornstraat"]
    assert by_id["klameer-hamee"].area == "Centrum"
    assert all(g.addresses > 0 for g in groups)


def test_healthz(client: TestClient) -> None:
    health = Health.model_validate(client.get("/healthz").json())
    assert health.status == "ok"
    assert health.zones == 9
    assert health.addresses == 4574


def test_map_page_and_assets(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "WABP Heiligenborn" in response.text
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200


def test_openapi_docs(client: TestClient) -> None:
    # Swagger UI and ReDoc would load scripts from a CDN: off unless WABP_API_DOCS asks for them.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/lookup", "/api/zones", "/api/zones/{zone_id}", "/api/groups", "/healthz"} <= set(
        paths
    )


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/api/lookup", content=b"x" * 3_000_000)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_api_docs_when_asked_for(tmp_path: Path) -> None:
    settings = app_settings(DATA, f"sqlite:///{tmp_path / 'wabp.sqlite'}", api_docs=True)
    client = TestClient(create_app(settings))  # no lifespan needed: the docs load no data
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
