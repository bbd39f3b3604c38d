"""The served site of a dataset of several municipalities, and the rules each applicant accepts.

The dataset is the hand-made PZ Kanton Borgloon of `tests/fixtures/pz` (five municipalities, one
wijk each); Heers has a rules text of its own (``dataset.json``), the others the dataset's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service import csrf
from service.app import create_app
from service.db import make_engine, make_sessionmaker
from service.routes.signup import form_versions
from service.tables import Consent
from tests.common import DATA, FIXTURES
from tests.service.apps import app_settings
from tests.service.test_signup import Html, answers
from zones.importing import create_dataset
from zones.rules import load_group_rules

PZ = FIXTURES / "pz"
HEERS_RULES = "# Reglement Heers\n\nIn Heers melden we eerst aan de wijkagent.\n"
HEERS_ADDRESS = "Kerkstraat 2, 3870 Heers"


@pytest.fixture(scope="module")
def pz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pz") / "kanton-borgloon"
    create_dataset(
        root,
        PZ / "addresses.csv",
        PZ / "wijken_ggw7.geojson",
        PZ / "gemeenten_2024.geojson",
        police_zone="Kanton Borgloon",
    )
    for rules in DATA.glob("reglement*"):
        shutil.copy(rules, root / rules.name)
    (root / "reglement.heers.md").write_text(HEERS_RULES, encoding="utf-8")
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    next(m for m in meta["municipalities"] if m["name"] == "Heers")["rules"] = "reglement.heers.md"
    (root / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wabp.sqlite'}"


@pytest.fixture(scope="module")
def web(pz_root: Path, db_url: str) -> Iterator[TestClient]:
    settings = app_settings(pz_root, db_url, registration_rate_limit=1000)
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_form_shows_the_rules_of_the_address_s_municipality(web: TestClient) -> None:
    heers = web.get("/aanmelden", params={"adres": HEERS_ADDRESS})
    assert heers.status_code == 200
    assert "eerst aan de wijkagent" in heers.text
    alken = web.get("/aanmelden", params={"adres": "Molenstraat 2, Alken"})
    for page in (web.get("/aanmelden"), alken):
        assert page.status_code == 200
        assert "eerst aan de wijkagent" not in page.text


def test_the_consent_recorded_is_to_the_text_shown(
    web: TestClient, pz_root: Path, db_url: str
) -> None:
    generic = load_group_rules(pz_root)
    heers = load_group_rules(pz_root, "reglement.heers.md")
    assert heers.rules.version == generic.rules.version  # only the hash tells them apart
    # Ticked under the dataset's rules, then the address turns out to be in Heers: shown Heers'.
    token = Html(web.get("/aanmelden").text).one("input", name=csrf.FIELD)["value"]
    data = answers(address=HEERS_ADDRESS, versions=form_versions(generic), phone="0470 11 22 33")
    again = web.post("/aanmelden", data={csrf.FIELD: token, **data})
    assert again.status_code == 422
    assert "eerst aan de wijkagent" in again.text
    shown = Html(again.text).one("input", name="versions")["value"]
    assert shown == form_versions(heers)
    token = Html(again.text).one("input", name=csrf.FIELD)["value"]
    done = web.post(
        "/aanmelden", data={csrf.FIELD: token, **data, "versions": shown}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            consent = session.scalars(
                select(Consent).where(Consent.purpose == "rules").order_by(Consent.id.desc())
            ).first()
    finally:
        engine.dispose()
    assert consent is not None
    assert consent.text_sha256 == hashlib.sha256(HEERS_RULES.encode()).hexdigest()
