"""What one municipality publishes stays its own: contact and infoborden in a dataset of several.

The dataset is `tests/fixtures/pz` (PZ Kanton Borgloon: Alken, Borgloon, Heers, Kortessem, Wellen,
one zone each), as `wabp init --police-zone` lays it out: its municipalities listed in
dataset.json. Heers' municipality publishes its contact and edits its infoborden; Alken's
contact, Alken's boards and the dataset's own file must come through unchanged, and the file must
still load (every instance reads it again at its next start).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.published import CONTACT, INFOBORDEN, RULES, PublishedTexts
from service.users import create_user
from tests.police_zone import create_pz_dataset
from tests.service.apps import app_settings
from tests.service.staff import STAFF, csrf_token, post_form, sign_in, staff_app
from zones.dataset import Dataset, DatasetPaths, read_meta
from zones.nextsteps import contacts_of

PASSWORD = "correct horse battery"
HEERS, ALKEN = "gemeente@heers.test", "gemeente@alken.test"
PUBLISHED = "/beheer/gemeente/publicatie"
ALKEN_ADDRESS = "Molenstraat 2, Alken"
# The longest contact the form takes: an e-mail address of 254 characters and a 300-character URL.
LONG_EMAIL = f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.be"
LONG_URL = "https://heers.example.be/" + "e" * 275
# Two boards of one id, as a file put together from two municipalities' may have them.
BOARDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, 50.855]},
            "properties": {"id": "bord-1", "zone_id": zone, "label": label},
        }
        for lon, zone, label in [(5.21, "73001w01", "Bord Alken"), (5.25, "73022w01", "Bord Heers")]
    ],
}


def make_pz(root: Path, *, listed: bool = True) -> Path:
    """Make the police zone's dataset in `root` (without its municipalities listed: `listed`)."""
    create_pz_dataset(root, rules=True)
    (root / "infoborden.geojson").write_text(json.dumps(BOARDS), encoding="utf-8")
    if not listed:
        meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
        meta.pop("municipalities")
        meta.pop("police_zones")
        (root / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


def pz_app(base: Path, *, listed: bool = True) -> TestClient:
    """Return a test client of the dataset made in `base`, with Heers' and Alken's accounts."""
    root = make_pz(base / "pz", listed=listed)
    url = f"sqlite:///{base / 'wabp.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    held = Dataset.load(root).municipalities
    with make_sessionmaker(engine)() as session:
        for email, town in ((HEERS, "Heers"), (ALKEN, "Alken")):
            create_user(session, email, PASSWORD, "municipality", municipality=town, held=held)
        session.commit()
    engine.dispose()
    return TestClient(create_app(app_settings(root, url)))


def sign_in_as(client: TestClient, email: str) -> None:
    client.cookies.clear()
    token = csrf_token(client.get("/beheer").text)
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/beheer/inloggen", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def root_of(client: TestClient) -> Path:
    root: Path = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    return root


def municipality_meta(client: TestClient) -> dict[str, dict[str, object]]:
    meta = read_meta(DatasetPaths(root_of(client)))  # fails as a restart would on a bad file
    return {m.name: m.model_dump() for m in meta.municipalities}


def served_contacts(client: TestClient) -> dict[str, list[str | None]]:
    """Return each municipality's [contact, e-loket] the served answers' next steps give."""
    dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
    return contacts_of(dataset).municipalities or {}


def served_boards(client: TestClient) -> dict[str, list[float]]:
    answer = client.get("/infoborden.geojson")
    assert answer.status_code == 200
    return {
        f["properties"]["label"]: f["geometry"]["coordinates"] for f in answer.json()["features"]
    }


@pytest.fixture(scope="module")
def pz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pz_app(tmp_path_factory.mktemp("published-scope")) as client:
        yield client


def test_a_municipality_publishes_its_own_contact_and_the_dataset_still_loads(
    pz: TestClient,
) -> None:
    sign_in_as(pz, HEERS)
    data = {"phone": "011 48 00 00", "email": LONG_EMAIL, "url": LONG_URL}
    answer = post_form(pz, PUBLISHED, f"{PUBLISHED}/contact", data)
    assert answer.status_code == 303, answer.text

    towns = municipality_meta(pz)
    heers = towns["Heers"]
    assert heers["contact"] == f"tel. 011 48 00 00, e-mail {LONG_EMAIL}"
    assert heers["contact_url"] == LONG_URL
    assert (towns["Alken"]["contact"], towns["Alken"]["contact_url"]) == (None, None)
    assert read_meta(DatasetPaths(root_of(pz))).contact is None  # the dataset's own: untouched
    # Heers' staff read their own contact back; Alken's staff do not read Heers'.
    assert f"e-mail {LONG_EMAIL}" in pz.get(PUBLISHED).text
    served = served_contacts(pz)
    assert served["Heers"] == [f"tel. 011 48 00 00, e-mail {LONG_EMAIL}", LONG_URL]
    assert "Alken" not in served
    sign_in_as(pz, ALKEN)
    assert "nog niets ingevuld" in pz.get(PUBLISHED).text

    # Only an e-loket: it still reaches Heers' residents.
    sign_in_as(pz, HEERS)
    only_url = {"phone": "", "email": "", "url": "https://heers.example.be/eloket"}
    answer = post_form(pz, PUBLISHED, f"{PUBLISHED}/contact", only_url)
    assert answer.status_code == 303, answer.text
    assert served_contacts(pz)["Heers"] == [None, "https://heers.example.be/eloket"]


def test_a_move_or_removal_leaves_another_municipalitys_board_of_the_same_id(
    pz: TestClient,
) -> None:
    sign_in_as(pz, HEERS)
    action = f"{PUBLISHED}/infoborden/bord-1"
    moved = post_form(
        pz, PUBLISHED, f"{action}/verplaatsen", {"latitude": "50,856", "longitude": "5,251"}
    )
    assert moved.status_code == 303, moved.text
    boards = served_boards(pz)
    assert boards["Bord Heers"] == [5.251, 50.856]
    assert boards["Bord Alken"] == [5.21, 50.855]

    removed = post_form(pz, PUBLISHED, f"{action}/verwijderen")
    assert removed.status_code == 303, removed.text
    assert served_boards(pz) == {"Bord Alken": [5.21, 50.855]}


def test_a_municipality_places_boards_in_its_own_part_of_the_police_zone_only(
    pz: TestClient,
) -> None:
    sign_in_as(pz, HEERS)
    before = served_boards(pz)
    in_alken = {"latitude": "50,86", "longitude": "5,21"}  # inside the police zone, in Alken
    moved = post_form(pz, PUBLISHED, f"{PUBLISHED}/infoborden/bord-1/verplaatsen", dict(in_alken))
    assert moved.status_code == 422 and "buiten de gemeente" in moved.text
    added = post_form(
        pz, PUBLISHED, f"{PUBLISHED}/infoborden", {"name": "Bord", "zone": "73022w01", **in_alken}
    )
    assert added.status_code == 422 and "buiten de gemeente" in added.text
    assert served_boards(pz) == before
    # Alken's own account places a board there.
    sign_in_as(pz, ALKEN)
    added = post_form(
        pz, PUBLISHED, f"{PUBLISHED}/infoborden", {"name": "Bord", "zone": "73001w01", **in_alken}
    )
    assert added.status_code == 303, added.text
    assert served_boards(pz)["Bord"] == [5.21, 50.86]


def test_one_municipality_does_not_set_the_contact_of_a_dataset_of_several() -> None:
    # Without the municipalities listed in dataset.json there is one contact for all five: the
    # residents of Alken would read Heers' contact. Refused, and nothing is written.
    with tempfile.TemporaryDirectory() as base, pz_app(Path(base), listed=False) as client:
        sign_in_as(client, HEERS)
        data = {"phone": "011 48 00 00", "email": "", "url": ""}
        answer = post_form(client, PUBLISHED, f"{PUBLISHED}/contact", data)
        assert answer.status_code == 422, answer.text
        assert "meerdere gemeenten" in answer.text
        assert read_meta(DatasetPaths(root_of(client))).contact is None
        lookup = client.get("/api/lookup", params={"q": ALKEN_ADDRESS}).json()
        assert "011 48 00 00" not in json.dumps(lookup)


def test_an_account_of_a_municipality_the_dataset_does_not_hold_sets_no_contact(
    tmp_path: Path,
) -> None:
    # 'Elders' is not Alken: its account must not publish the contact Alken's residents read.
    assert STAFF["town-elders"][3] == "Elders"
    with staff_app(tmp_path) as client:
        before = read_meta(DatasetPaths(root_of(client)))
        sign_in(client, "town-elders")
        data = {"phone": "011 11 11 11", "email": "", "url": ""}
        answer = post_form(client, PUBLISHED, f"{PUBLISHED}/contact", data)
        assert answer.status_code == 403, answer.text
        after = read_meta(DatasetPaths(root_of(client)))
        assert (after.contact, after.contact_url) == (before.contact, before.contact_url)
        sign_in(client, "town")
        assert "011 11 11 11" not in client.get(PUBLISHED).text


def test_a_stored_contact_that_would_not_load_is_not_written(tmp_path: Path) -> None:
    # Stored by the version before contact and e-loket were apart (one text, over 300 characters):
    # written out, dataset.json would stop every instance at its next start. The last good file
    # stays, and the dataset loads.
    root = make_pz(tmp_path / "pz")
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    upgrade(engine)
    texts = PublishedTexts(make_sessionmaker(engine), root)
    with texts.sessions() as session:
        texts.for_update(session, CONTACT)
        texts.save(
            session, CONTACT, {"municipalities": {"Heers": "tel. 011 48 00 00, " + LONG_URL * 2}}
        )
        session.commit()
    before = (root / "dataset.json").read_text(encoding="utf-8")
    assert texts.write_files({}) == {CONTACT: 1, INFOBORDEN: 0, RULES: 0}
    assert (root / "dataset.json").read_text(encoding="utf-8") == before
    heers = next(m for m in read_meta(DatasetPaths(root)).municipalities if m.name == "Heers")
    assert heers.contact is None
    engine.dispose()
