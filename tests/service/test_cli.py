"""The wabp command line: lookup, validate, map and derive-zones, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import DATA

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, [*args, "--data", str(DATA)])


def test_lookup_json_matches_the_api_shape() -> None:
    result = run("lookup", "Heiligenbornstraat 12, 3570 Alken", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "found"
    assert body["zones"][0]["name"] == "WABP Heiligenborn"
    assert set(body) >= {"status", "address", "location", "zones", "candidates", "message"}


def test_lookup_text_in_dutch() -> None:
    result = run("lookup", "motstraat10")
    assert result.exit_code == 0
    assert "WABP Klameer/Hamee" in result.stdout


@pytest.mark.parametrize("address", ["Waterkant 1, 3570 Alken", "Rode Kruisstraat 2"])
def test_lookup_not_matched_exits_1(address: str) -> None:
    assert run("lookup", address).exit_code == 1


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["lookup"]).exit_code == 2
    assert runner.invoke(app, ["lookup", "x", "--bogus"]).exit_code == 2


def test_validate_shipped_data() -> None:
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 9 zones")


def _zones_file(tmp_path: Path, *rings: list[list[float]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"z{i}", "name": f"WABP Z{i}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for i, ring in enumerate(rings)
    ]
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


SQUARE = [[5.27, 50.87], [5.28, 50.87], [5.28, 50.875], [5.27, 50.875], [5.27, 50.87]]
SHIFTED = [[5.275, 50.87], [5.285, 50.87], [5.285, 50.875], [5.275, 50.875], [5.275, 50.87]]
BOWTIE = [[5.27, 50.87], [5.28, 50.875], [5.28, 50.87], [5.27, 50.875], [5.27, 50.87]]
SWAPPED = [[lat, lon] for lon, lat in SQUARE]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("not json {", "not valid JSON", id="not JSON"),
        pytest.param([BOWTIE], "Self-intersection", id="self-intersecting"),
        pytest.param([SQUARE, SHIFTED], "overlap", id="overlapping"),
        pytest.param([SWAPPED], "swapped", id="swapped lat/lon"),
    ],
)
def test_validate_refuses_broken_files(tmp_path: Path, content: Any, expected: str) -> None:
    if isinstance(content, str):
        path = tmp_path / "zones.geojson"
        path.write_text(content)
    else:
        path = _zones_file(tmp_path, *content)
    result = run("validate", str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert expected in lines[0]
    assert "Traceback" not in result.output


def test_map_writes_html_and_assets(tmp_path: Path) -> None:
    out = tmp_path / "site" / "kaart.html"
    result = run("map", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "WABP Heiligenborn" in html
    assert (out.parent / "static" / "vendor" / "leaflet" / "leaflet.js").is_file()


def test_derive_zones_reproduces_the_shipped_zones(tmp_path: Path) -> None:
    out = tmp_path / "zones.geojson"
    result = run("derive-zones", str(DATA / "zones.spec.json"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == json.loads((DATA / "zones.geojson").read_text())


def test_missing_dataset_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lookup", "Kerkstraat 1", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [("WABP_TILES", "bogus", "tiles 'bogus'"), ("WABP_PORT", "abc", "port:")],
)
def test_bad_setting_is_one_line_before_start_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = run("serve")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_trusts_the_forwarded_headers_of_the_proxy_it_is_told(
    monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """Behind a proxy on another host, its address must reach uvicorn (else every resident counts
    as the proxy in the rate limits), with one worker and with several."""
    import uvicorn

    import service.app
    import service.workers

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    # Several workers on Linux: each its own socket (service.workers), the same options.
    monkeypatch.setattr(
        service.workers,
        "serve_workers",
        lambda app, workers, host, port, **options: (
            started.append({**options, "workers": workers}) or 0
        ),
    )
    monkeypatch.setattr(service.app, "create_app", lambda settings: "app")
    monkeypatch.delenv("WABP_DATA_DIR", raising=False)
    result = run("serve", "--workers", workers, "--forwarded-allow-ips", "10.0.0.5")
    assert result.exit_code == 0, result.output
    [options] = started
    assert options["forwarded_allow_ips"] == "10.0.0.5"
    assert options.get("workers", 1) == int(workers)
