"""The municipality's pages: proposals (approve, reject, stale), history, audit log, accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.service.apps import application
from tests.service.staff import (
    STAFF,
    bearer,
    post_form,
    sign_in,
    staff_app,
)
from tests.service.test_proposal_story import strip_feature
from zones.dataset import Dataset

PROPOSALS = "/beheer/gemeente/voorstellen"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with staff_app(tmp_path_factory.mktemp("town")) as client:
        yield client


def dataset(client: TestClient) -> Dataset:
    ds: Dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
    return ds


def propose(client: TestClient, reach: float, note: str) -> str:
    """Submit a Sint-Joris proposal through the API as its coordinator; return its id."""
    feature = strip_feature(dataset(client), reach, note=note)
    answer = client.post("/api/proposals", json=feature, headers=bearer(client, "coord-sj"))
    assert answer.status_code == 201, answer.text
    proposal_id: str = answer.json()["id"]
    return proposal_id


# The municipality's tick: it confirms the take-over of another group's area the report lists.
CONFIRM = {"confirm_takeover": "ja"}


def test_review_reject_with_reason_and_stale_approval(client: TestClient) -> None:
    small = propose(client, 0.002, "Kleine strook.")
    large = propose(client, 0.004, "Grote strook.")
    rejected = propose(client, 0.001, "Afwijzen graag.")
    sign_in(client, "town")
    listing = client.get(PROPOSALS)
    assert listing.status_code == 200
    assert listing.text.count('href="/beheer/gemeente/voorstellen/') == 3
    detail = client.get(f"{PROPOSALS}/{small}")
    assert "Wat dit voorstel verandert" in detail.text
    assert "van WABP Terkoest naar WABP Sint-Joris" in detail.text
    assert f'href="{PROPOSALS}/{small}/kaart"' in detail.text
    map_page = client.get(f"{PROPOSALS}/{small}/kaart")
    assert map_page.status_code == 200 and "leaflet" in map_page.text.lower()

    # A rejection needs a reason; with one, the coordinator reads it on "Mijn groep".
    no_reason = post_form(client, f"{PROPOSALS}/{rejected}", f"{PROPOSALS}/{rejected}/afwijzen")
    assert no_reason.status_code == 422 and "Schrijf kort waarom" in no_reason.text
    answer = post_form(
        client,
        f"{PROPOSALS}/{rejected}",
        f"{PROPOSALS}/{rejected}/afwijzen",
        {"reason": "De Lindestraat blijft bij Terkoest."},
    )
    assert answer.headers["location"] == f"{PROPOSALS}?melding=voorstel-afgewezen"

    # The strip is Terkoest's: approving it needs the take-over confirmed, in so many words.
    assert (
        "Ik bevestig dat dit voorstel gebied of adressen overneemt van WABP Terkoest" in detail.text
    )
    unconfirmed = post_form(client, f"{PROPOSALS}/{small}", f"{PROPOSALS}/{small}/goedkeuren")
    assert unconfirmed.status_code == 409 and "overname bevestigt" in unconfirmed.text
    # Approving the small strip makes the large one stale: its page comes back with a fresh report.
    answer = post_form(client, f"{PROPOSALS}/{small}", f"{PROPOSALS}/{small}/goedkeuren", CONFIRM)
    assert answer.status_code == 303
    stale = post_form(client, f"{PROPOSALS}/{large}", f"{PROPOSALS}/{large}/goedkeuren", CONFIRM)
    assert stale.status_code == 409
    assert "beslis opnieuw" in stale.text and "Goedkeuren" in stale.text
    again = post_form(client, f"{PROPOSALS}/{large}", f"{PROPOSALS}/{large}/goedkeuren", CONFIRM)
    assert again.status_code == 303, again.text

    sign_in(client, "coord-sj")
    group = client.get("/beheer/groep").text
    assert "De Lindestraat blijft bij Terkoest." in group and "afgewezen" in group
    assert group.count("goedgekeurd op") == 2

    # The history shows the generations the approvals made, each with what it changed.
    sign_in(client, "town")
    history = client.get("/beheer/gemeente/generaties").text
    assert "Generatie 3 (nu geldig)" in history
    changes = client.get("/beheer/gemeente/generaties/2").text
    assert "WABP Sint-Joris: andere grens" in changes
    assert "van WABP Terkoest naar WABP Sint-Joris" in changes
    audit = client.get("/beheer/gemeente/audit").text
    for action in ("voorstel goedgekeurd", "voorstel afgewezen", "voorstel verouderd"):
        assert action in audit
    assert "coord.sintjoris@alken.test (coördinator)" in audit


def one_time_password(page: str) -> str:
    found = re.search(r"Eenmalig wachtwoord: <code>([^<]+)</code>", page)
    assert found, "no password shown"
    return found.group(1)


def test_accounts_add_police_disable_reset(client: TestClient) -> None:
    sign_in(client, "town")
    page = client.get("/beheer/gemeente/accounts").text
    assert STAFF["police"][0] in page and STAFF["coord"][0] in page
    assert STAFF["police-elders"][0] not in page and STAFF["town-elders"][0] not in page

    added = post_form(
        client,
        "/beheer/gemeente/accounts",
        "/beheer/gemeente/accounts",
        {"email": "Nieuwe.Agent@Alken.test", "role": "police", "zone": ""},
    )
    assert added.status_code == 201
    password = one_time_password(added.text)
    duplicate = post_form(
        client,
        "/beheer/gemeente/accounts",
        "/beheer/gemeente/accounts",
        {"email": "nieuwe.agent@alken.test", "role": "police"},
    )
    assert duplicate.status_code == 422 and "bestaat al een account" in duplicate.text
    no_zone = post_form(
        client,
        "/beheer/gemeente/accounts",
        "/beheer/gemeente/accounts",
        {"email": "coord.nieuw@alken.test", "role": "coordinator", "zone": ""},
    )
    assert no_zone.status_code == 422 and "Kies de zone" in no_zone.text

    # The new officer signs in with the password shown once and lands on the police queue.
    client.cookies.clear()
    STAFF["new-police"] = ("nieuwe.agent@alken.test", "police", None, "Alken")
    try:
        assert sign_in(client, "new-police", password).headers["location"] == "/beheer/politie"
        sign_in(client, "town")
        page = client.get("/beheer/gemeente/accounts").text
        account_id = re.search(
            r'accounts/([0-9a-f]+)/uitschakelen" *>\s*<input[^>]*>\s*<button[^>]*Uitschakelen: '
            r"nieuwe.agent@alken.test",
            page,
        )
        assert account_id, "no disable button for the new account"
        new_id = account_id.group(1)
        reset = post_form(
            client, "/beheer/gemeente/accounts", f"/beheer/gemeente/accounts/{new_id}/wachtwoord"
        )
        new_password = one_time_password(reset.text)
        assert new_password != password
        disabled = post_form(
            client, "/beheer/gemeente/accounts", f"/beheer/gemeente/accounts/{new_id}/uitschakelen"
        )
        assert disabled.headers["location"].endswith("melding=uitgeschakeld")
        assert sign_in(client, "new-police", new_password).status_code == 401
        sign_in(client, "town")
        post_form(
            client, "/beheer/gemeente/accounts", f"/beheer/gemeente/accounts/{new_id}/inschakelen"
        )
        assert sign_in(client, "new-police", new_password).status_code == 303
        # Another municipality's staff cannot touch it.
        sign_in(client, "town-elders")
        other = post_form(
            client, "/beheer/gemeente/accounts", f"/beheer/gemeente/accounts/{new_id}/uitschakelen"
        )
        assert other.status_code == 404
    finally:
        del STAFF["new-police"]


def test_new_group_coordinator_gets_an_account_once_the_zone_exists(client: TestClient) -> None:
    # An address in no zone (Aardbruggenstraat): only a coordinator of a new group applies there.
    body = application(
        role="coordinator",
        name="Nieuwe Trekker",
        email="trekker@example.be",
        address="Aardbruggenstraat 10, 3570 Alken",
    )
    answer = client.post("/api/registrations", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["group"] is None
    applied = answer.json()["id"]
    headers = bearer(client, "police")
    assign = client.post(
        f"/api/registrations/{applied}/assign", json={"new_group": True}, headers=headers
    )
    assert assign.status_code == 200, assign.text
    assert client.post(f"/api/registrations/{applied}/approve", headers=headers).status_code == 200
    sign_in(client, "town")
    page = client.get("/beheer/gemeente/accounts").text
    assert "Nieuwe Trekker" in page
    made = post_form(
        client,
        "/beheer/gemeente/accounts",
        f"/beheer/gemeente/accounts/nieuwe-groep/{applied}",
        {"email": "trekker@example.be", "zone": "heiligenborn"},
    )
    assert made.status_code == 201, made.text
    assert "Wachtwoord voor trekker@example.be" in made.text
    assert "Nieuwe Trekker" not in made.text  # no longer waiting for an account
    # The new coordinator signs in to the group's page, and is its first member.
    password = one_time_password(made.text)
    STAFF["trekker"] = ("trekker@example.be", "coordinator", "heiligenborn", None)
    try:
        assert sign_in(client, "trekker", password).headers["location"] == "/beheer/groep"
        assert "Nieuwe Trekker" in client.get("/beheer/groep").text
    finally:
        del STAFF["trekker"]


def next_step_texts(client: TestClient, address: str) -> str:
    answer = client.get("/api/lookup", params={"q": address})
    assert answer.status_code == 200, answer.text
    return " ".join(f"{s['text']} {s['href']}" for s in answer.json()["next_steps"])


def test_published_contacts_of_the_municipality_and_of_a_group(client: TestClient) -> None:
    sign_in(client, "town")
    page = client.get("/beheer/gemeente/publicatie")
    assert page.status_code == 200
    assert "WABP Heiligenborn" in page.text and "Infoborden (" in page.text
    bad = post_form(
        client,
        "/beheer/gemeente/publicatie",
        "/beheer/gemeente/publicatie/contact",
        {"phone": "12", "email": "", "url": ""},
    )
    assert bad.status_code == 422 and "geldig telefoonnummer" in bad.text
    done = post_form(
        client,
        "/beheer/gemeente/publicatie",
        "/beheer/gemeente/publicatie/contact",
        {
            "phone": "011 59 00 00",
            "email": "preventie@alken.example.be",
            "url": "https://eloket.alken.test",
        },
    )
    assert done.status_code == 303, done.text
    # Residents told to contact the municipality (an address in no zone) read the new contact.
    steps = next_step_texts(client, "Aardbruggenstraat 12, 3570 Alken")
    assert "tel. 011 59 00 00, e-mail preventie@alken.example.be" in steps
    assert "https://eloket.alken.test" in steps

    # A group's contact is published only with the coordinator's consent, and can be withdrawn.
    sign_in(client, "coord")
    without = post_form(
        client, "/beheer/groep", "/beheer/groep/contact", {"contact": "Els, els@example.be"}
    )
    assert without.status_code == 422 and "akkoord" in without.text
    published = post_form(
        client,
        "/beheer/groep",
        "/beheer/groep/contact",
        {"contact": "Els, els@example.be", "consent": "ja"},
    )
    assert published.status_code == 303
    assert "Els, els@example.be" in client.get("/beheer/groep").text
    # Residents whose address is in the group read it among what to do next, on / and /zoek.
    resident = "Heiligenbornstraat 12, 3570 Alken"
    assert "WABP Heiligenborn: Els, els@example.be" in next_step_texts(client, resident)
    assert "Els, els@example.be" in client.get("/zoek", params={"q": resident}).text
    sign_in(client, "town")
    assert "Els, els@example.be" in client.get("/beheer/gemeente/publicatie").text
    assert "publiek contact van een groep aangepast" in client.get("/beheer/gemeente/audit").text
    sign_in(client, "coord")
    withdrawn = post_form(client, "/beheer/groep", "/beheer/groep/contact", {"contact": ""})
    assert withdrawn.status_code == 303
    assert "Els, els@example.be" not in client.get("/beheer/groep").text
    assert "Els, els@example.be" not in next_step_texts(client, resident)


BOARDS = "/beheer/gemeente/publicatie/infoborden"
PUBLISHED = "/beheer/gemeente/publicatie"


def boards_file(client: TestClient) -> bytes:
    return dataset(client).paths.infoborden.read_bytes()


def served_board(client: TestClient, board_id: str) -> tuple[float, float] | None:
    for board in dataset(client).infoborden:
        if board.properties.id == board_id:
            lon, lat = board.geometry.coordinates[:2]
            return lat, lon
    return None


def test_the_municipality_moves_adds_and_removes_infoborden(client: TestClient) -> None:
    sign_in(client, "town")
    page = client.get(PUBLISHED).text
    assert f'action="{BOARDS}/infobord-moggeweide/verplaatsen"' in page
    before = boards_file(client)

    # Bad coordinates: not a number, not finite, outside Alken. A Dutch 422, the file unchanged.
    for lat, lon, message in [
        ("abc", "5,30", "Vul de plaats in graden in"),
        ("nan", "5.30", "Vul de plaats in graden in"),
        ("50.85", "inf", "Vul de plaats in graden in"),
        ("51.2", "4.4", "buiten de gemeente"),
    ]:
        bad = post_form(
            client,
            PUBLISHED,
            f"{BOARDS}/infobord-moggeweide/verplaatsen",
            {"latitude": lat, "longitude": lon},
        )
        assert bad.status_code == 422 and message in bad.text, (lat, lon)
        assert boards_file(client) == before
    bad_add = post_form(
        client,
        PUBLISHED,
        BOARDS,
        {"name": "Bord", "zone": "moggeweide", "latitude": "0", "longitude": "0"},
    )
    assert bad_add.status_code == 422 and "buiten de gemeente" in bad_add.text
    # CSRF missing: 403, nothing written.
    no_token = client.post(
        f"{BOARDS}/infobord-moggeweide/verwijderen", data={}, follow_redirects=False
    )
    assert no_token.status_code == 403 and boards_file(client) == before
    # Another role: 403, nothing written.
    sign_in(client, "coord")
    wrong = post_form(client, "/beheer/groep", f"{BOARDS}/infobord-moggeweide/verwijderen")
    assert wrong.status_code == 403 and boards_file(client) == before
    sign_in(client, "town")
    unknown = post_form(client, PUBLISHED, f"{BOARDS}/geen-bord/verwijderen")
    assert unknown.status_code == 404

    # Move (a decimal comma is fine): the file and the served state have the new place.
    moved = post_form(
        client,
        PUBLISHED,
        f"{BOARDS}/infobord-moggeweide/verplaatsen",
        {"latitude": "50,8751", "longitude": "5,3051"},
    )
    assert moved.status_code == 303, moved.text
    assert served_board(client, "infobord-moggeweide") == (50.8751, 5.3051)
    assert "50.87510 N, 5.30510 O" in client.get(PUBLISHED).text

    # Add: a new board of a group, served with its name and zone.
    added = post_form(
        client,
        PUBLISHED,
        BOARDS,
        {
            "name": "Hoek Kerkstraat",
            "zone": "moggeweide",
            "latitude": "50.874",
            "longitude": "5.304",
        },
    )
    assert added.status_code == 303, added.text
    new = [b for b in dataset(client).infoborden if b.properties.label == "Hoek Kerkstraat"]
    assert len(new) == 1 and new[0].properties.zone_id == "moggeweide"
    new_id = new[0].properties.id
    assert new_id in boards_file(client).decode()

    # Remove: gone from the file and from what is served.
    removed = post_form(client, PUBLISHED, f"{BOARDS}/{new_id}/verwijderen")
    assert removed.status_code == 303
    assert served_board(client, new_id) is None and new_id not in boards_file(client).decode()
    audit = client.get("/beheer/gemeente/audit").text
    for action in ("infobord verplaatst", "infobord toegevoegd", "infobord verwijderd"):
        assert action in audit
