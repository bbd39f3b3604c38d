"""The municipality edits its rules while the service runs: every page shows the words applicants accept.

The rules and the statement of intent are files of the dataset with a version each
(``reglement.json``, `zones.rules`). The municipality changes a text and bumps its version; the
registration form reads the files again (their time and size changed), and so must the rules page
of the site (``/regels``, and ``/<municipality>/regels`` in a dataset of several), which is
otherwise rendered once per generation.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from service.app import create_app
from tests.service.apps import app_settings, copy_dataset
from tests.service.test_municipal_site import pz_root  # noqa: F401 - the fixture, used below

NEW_RULE = "Wie een pakje voor een buur aanneemt, zegt dat in de groep niet."


def _edit_rules(root: Path, file: str, version: str) -> None:
    """Do what the municipality does: add a rule to a text and bump the rules' version."""
    with (root / file).open("a", encoding="utf-8") as out:
        out.write(f"\n## Nieuw\n\n{NEW_RULE}\n")
    spec = json.loads((root / "reglement.json").read_text(encoding="utf-8"))
    spec["rules"]["version"] = version
    (root / "reglement.json").write_text(json.dumps(spec), encoding="utf-8")


def _versions(page: str) -> list[str]:
    """Return the versions a page names: the rules' first, then the statement's."""
    return re.findall(r'<span class="version">(\(versie [^)<]+\))</span>', page)


def test_the_rules_page_follows_an_edited_text(tmp_path: Path) -> None:
    root = copy_dataset(tmp_path / "data")
    settings = app_settings(root, f"sqlite:///{tmp_path / 'db.sqlite'}")
    with TestClient(create_app(settings)) as web:
        before = web.get("/regels").text  # rendered and kept before the edit
        assert NEW_RULE not in before
        assert _versions(before) == ["(versie 2026-2)", "(versie 2026-2)"]
        _edit_rules(root, "reglement.md", "2026-3")
        page = web.get("/regels").text
        form = web.get("/aanmelden").text
        api = web.get("/api/reglement").json()
    assert NEW_RULE in page and NEW_RULE in form and NEW_RULE in api["rules"]
    assert _versions(page) == ["(versie 2026-3)", "(versie 2026-2)"]
    assert _versions(form) == _versions(page)
    assert api["rules_version"] == "2026-3"


def test_a_municipality_s_own_rules_page_follows_its_edited_text(
    pz_root: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    root = tmp_path / "kanton-borgloon"
    shutil.copytree(pz_root, root, ignore=shutil.ignore_patterns("*.sqlite*"))
    settings = app_settings(root, f"sqlite:///{tmp_path / 'db.sqlite'}")
    with TestClient(create_app(settings)) as web:
        assert NEW_RULE not in web.get("/heers/regels").text
        alken = web.get("/alken/regels").text
        _edit_rules(root, "reglement.heers.md", "2026-3")
        heers = web.get("/heers/regels").text
        form = web.get("/aanmelden", params={"adres": "Kerkstraat 2, 3870 Heers"}).text
        alken_after = web.get("/alken/regels").text
    assert NEW_RULE in heers and NEW_RULE in form
    assert _versions(heers)[0] == "(versie 2026-3)" == _versions(form)[0]
    # Alken has the dataset's text: unchanged but for the version, which reglement.json gives all.
    assert NEW_RULE not in alken_after
    assert _versions(alken) == ["(versie 2026-2)", "(versie 2026-2)"]
    assert _versions(alken_after)[0] == "(versie 2026-3)"
