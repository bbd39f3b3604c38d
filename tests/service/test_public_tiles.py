"""The service's public map at ``/`` draws the base layer of the ``tiles`` setting, as `wabp publish`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2.utils import htmlsafe_json_dumps

from maps.tiles import GRB_BASISKAART, OSM, tiles_from_setting
from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA
from tests.service.apps import app_settings, copy_dataset

CUSTOM_URL = "https://tiles.example.be/buurt/{z}/{x}/{y}.png"


def public_map(tmp_path: Path, **tiles: str) -> str:
    """Start an app on a copy of Alken with these tile settings and return its ``/`` page."""
    data = copy_dataset(tmp_path / "data")
    settings = app_settings(data, f"sqlite:///{tmp_path / 'wabp.sqlite'}", **tiles)
    with TestClient(create_app(settings)) as client:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        # Served from memory after the first render: the same page again.
        # (but for the nonce every response gets: service/headers.py).
        again = client.get("/").text
        assert re.sub(' nonce="[^"]+"', "", again) == re.sub(' nonce="[^"]+"', "", response.text)
        return response.text


@pytest.mark.parametrize(
    ("tiles", "url", "attribution"),
    [
        pytest.param({"tiles": "grb"}, GRB_BASISKAART.url, "Digitaal Vlaanderen", id="grb"),
        pytest.param(
            {"tiles": CUSTOM_URL, "tiles_attribution": "Kaart: Stad Voorbeeld"},
            CUSTOM_URL,
            "Kaart: Stad Voorbeeld",
            id="custom-url",
        ),
    ],
)
def test_map_uses_the_tiles_setting(
    tmp_path: Path, tiles: dict[str, str], url: str, attribution: str
) -> None:
    page = public_map(tmp_path, **tiles)
    assert "L.tileLayer(" in page
    # The URL is a JavaScript string in the page, written with "&" escaped as in any inline script.
    assert htmlsafe_json_dumps(url) in page
    assert attribution in page


def test_openstreetmap_by_default() -> None:
    settings = Settings(data_dir=DATA, _env_file=None)  # type: ignore[call-arg]
    assert tiles_from_setting(settings.tiles) == OSM
    assert "OpenStreetMap" in OSM.attribution


def test_no_tiles_when_set_to_none(tmp_path: Path) -> None:
    page = public_map(tmp_path, tiles="none")
    assert "L.tileLayer(" not in page
    assert GRB_BASISKAART.url not in page
    assert "{z}" not in page


def test_voorstel_draws_on_the_base_map_and_allows_its_host(tmp_path: Path) -> None:
    data = copy_dataset(tmp_path / "data")
    settings = app_settings(data, f"sqlite:///{tmp_path / 'wabp.sqlite'}", tiles="osm")
    with TestClient(create_app(settings)) as client:
        response = client.get("/voorstel")
    assert htmlsafe_json_dumps(OSM.url)[1:-1] in response.text.replace("&#34;", '"')
    assert (
        "img-src 'self' data: https://tile.openstreetmap.org;"
        in response.headers["content-security-policy"]
    )


def test_comparison_map_draws_on_the_base_map_and_allows_its_host(tmp_path: Path) -> None:
    from tests.service.test_proposal_story import PASSWORD, USERS, add_users, strip_feature
    from zones.dataset import Dataset

    data = copy_dataset(tmp_path / "data")
    database = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    add_users(database)
    with TestClient(create_app(app_settings(data, database, tiles="osm"))) as client:

        def bearer(who: str) -> dict[str, str]:
            form = {"username": USERS[who][0], "password": PASSWORD}
            token = client.post("/api/auth/token", data=form).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        proposal = client.post(
            "/api/proposals", json=strip_feature(Dataset.load(data)), headers=bearer("sint-joris")
        )
        assert proposal.status_code == 201, proposal.text
        response = client.get(
            f"/proposals/{proposal.json()['id']}/map", headers=bearer("municipality")
        )
    assert response.status_code == 200
    assert "L.tileLayer(" in response.text and htmlsafe_json_dumps(OSM.url) in response.text
    assert "img-src 'self' data: https:;" in response.headers["content-security-policy"]
