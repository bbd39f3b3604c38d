"""`wabp print` without a browser: the poster page, and what happens when there is no Chromium.

The PDF itself (one page per zone, A4 and A3) is checked in test_site_browser.py. Without Chromium
the command does not fall back to a lesser drawing (matplotlib is no dependency): it writes the same
self-contained print page as HTML, says how to print it, and exits 1.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from maps.poster import render_posters
from service.cli import app
from zones.dataset import Dataset

REGISTER = "https://wabp.example.be/aanmelden"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data_dir(alken_data: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("WABP_BASE_URL", "WABP_REGISTER_URL"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "data"
    shutil.copytree(
        alken_data.paths.root, root, ignore=shutil.ignore_patterns(".cache", "*.sqlite")
    )
    return root


def test_one_poster_per_zone_with_what_the_infobord_needs(alken_data: Dataset) -> None:
    zones = ["sint-joris", "heiligenborn"]
    html = render_posters(alken_data, zones, register_url=REGISTER, today=dt.date(2026, 3, 5))
    posters = html.split('<section class="poster"')[1:]
    assert len(posters) == len(zones)
    for zone_id, poster in zip(zones, posters, strict=True):
        zone = alken_data.zones.get(zone_id)
        assert f">{zone.name}</h1>" in poster
        assert "Bel bij verdachte situaties eerst 101" in poster
        assert "SAAR" in poster and "Signaleer" in poster and "Reageer" in poster
        assert poster.count('<svg class="qr"') == 1
        assert "5 maart 2026" in poster
    # The map shows the neighbours by name: Heiligenborn borders Sint-Joris.
    assert "WABP Heiligenborn" in posters[0].split("</figure>")[0]
    # No script and nothing fetched: the page prints the same anywhere.
    assert "<script" not in html and not re.search(r"(src|href)=\"https?://", html)


def test_a3_is_the_a4_page_zoomed(alken_data: Dataset) -> None:
    a3 = render_posters(alken_data, ["kolmen"], register_url=REGISTER, paper="A3")
    assert "size: A3 portrait" in a3 and "zoom: 1.41421" in a3


def test_without_chromium_the_print_page_is_written_instead(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "affiche.pdf"
    code, _, stderr = run(
        "print",
        "--zone",
        "kolmen",
        "--out",
        str(out),
        "--register-url",
        REGISTER,
        "--chromium",
        str(tmp_path / "no-chromium"),
        "--data",
        str(data_dir),
    )
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install -y chromium" in lines[0]
    assert not out.exists()
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "WABP Kolmen" in page and "@page" in page


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(["--zone", "nergens"], 1, "nergens", id="unknown-zone"),
        pytest.param(["--zone", "kolmen", "--size", "A5"], 2, "A4 or A3", id="paper"),
        pytest.param(["--zone", "kolmen", "--no-url"], 2, "--register-url", id="no-qr-target"),
        pytest.param(
            ["--zone", "kolmen", "--register-url", "/aanmelden"], 2, "absolute", id="relative"
        ),
    ],
)
def test_bad_input_says_what_to_fix(
    data_dir: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    out = tmp_path / "affiche.pdf"
    if "--no-url" in args:
        args = [a for a in args if a != "--no-url"]
    elif "--register-url" not in args:
        args = [*args, "--register-url", REGISTER]
    got, _, stderr = run("print", *args, "--out", str(out), "--data", str(data_dir))
    assert got == code
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not out.exists()
