"""Who may open which staff page: a role x page matrix, object scope, and CSRF on every form.

Every staff page: nobody signed in -> 303 to the sign-in form (and back afterwards), the wrong role
-> the Dutch 403 page, another municipality's (or group's) object -> the Dutch 404 page. Every form
posted without a valid CSRF token -> 403, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.tables import User
from tests.service.apps import application
from tests.service.staff import STAFF, bearer, csrf_token, sign_in, staff_app
from tests.service.test_proposal_story import strip_feature


@dataclass(frozen=True)
class Ids:
    """Objects of Alken the pages act on."""

    registration: str  # pending, Heiligenborn
    member: str  # approved, Heiligenborn
    proposal: str  # submitted by Sint-Joris' coordinator
    account: str  # Alken's police account


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Ids]]:
    with staff_app(tmp_path_factory.mktemp("access")) as client:
        pending = client.post("/api/registrations", json=application()).json()["id"]
        member = client.post("/api/registrations", json=application(name="Lid Een")).json()["id"]
        approved = client.post(
            f"/api/registrations/{member}/approve", headers=bearer(client, "police")
        )
        assert approved.status_code == 200, approved.text
        dataset = client.app.state.wabp.current.dataset  # type: ignore[attr-defined]
        proposal = client.post(
            "/api/proposals",
            json=strip_feature(dataset, 0.002),
            headers=bearer(client, "coord-sj"),
        ).json()["id"]
        with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            account = session.scalar(select(User.id).where(User.email == STAFF["police"][0]))
        yield client, Ids(pending, member, proposal, str(account))


def pages(ids: Ids) -> list[tuple[str, str | None]]:
    """Every staff page (GET) and the role it is for (None: any signed-in account)."""
    town = "/beheer/gemeente"
    return [
        ("/beheer/wachtwoord", None),
        ("/beheer/meldingen", None),
        ("/beheer/politie", "police"),
        ("/beheer/politie/beslist", "police"),
        ("/beheer/groep", "coordinator"),
        (town, "municipality"),
        (f"{town}/voorstellen", "municipality"),
        (f"{town}/voorstellen/{ids.proposal}", "municipality"),
        (f"{town}/voorstellen/{ids.proposal}/kaart", "municipality"),
        (f"{town}/generaties", "municipality"),
        (f"{town}/audit", "municipality"),
        (f"{town}/accounts", "municipality"),
        (f"{town}/publicatie", "municipality"),
        (f"{town}/regels", "municipality"),
    ]


def forms(ids: Ids) -> list[tuple[str, str | None]]:
    """Every staff form (POST) and the role it is for (None: anyone, or any signed-in account)."""
    town = "/beheer/gemeente"
    return [
        ("/beheer/inloggen", None),
        ("/beheer/afmelden", None),
        ("/beheer/wachtwoord", None),
        ("/beheer/meldingen", None),
        (f"/beheer/politie/{ids.registration}/goedkeuren", "police"),
        (f"/beheer/politie/{ids.registration}/weigeren", "police"),
        (f"/beheer/politie/{ids.registration}/groep", "police"),
        (f"/beheer/groep/leden/{ids.member}/toegevoegd", "coordinator"),
        (f"/beheer/groep/leden/{ids.member}/verwijderd", "coordinator"),
        (f"{town}/voorstellen/{ids.proposal}/goedkeuren", "municipality"),
        (f"{town}/voorstellen/{ids.proposal}/afwijzen", "municipality"),
        (f"{town}/accounts", "municipality"),
        (f"{town}/accounts/{ids.account}/uitschakelen", "municipality"),
        (f"{town}/accounts/{ids.account}/inschakelen", "municipality"),
        (f"{town}/accounts/{ids.account}/wachtwoord", "municipality"),
        (f"{town}/accounts/{ids.account}/resetlink", "municipality"),
        (f"{town}/accounts/nieuwe-groep/{ids.registration}", "municipality"),
        (f"{town}/publicatie/contact", "municipality"),
        (f"{town}/publicatie/infoborden", "municipality"),
        (f"{town}/publicatie/infoborden/infobord-moggeweide/verplaatsen", "municipality"),
        (f"{town}/publicatie/infoborden/infobord-moggeweide/verwijderen", "municipality"),
        (f"{town}/regels/regels", "municipality"),
        (f"{town}/regels/intentieverklaring", "municipality"),
        ("/beheer/groep/contact", "coordinator"),
    ]


ACCOUNT_OF_ROLE = {"police": "police", "coordinator": "coord", "municipality": "town"}


def test_anonymous_goes_to_the_sign_in_form_and_comes_back(app: tuple[TestClient, Ids]) -> None:
    client, ids = app
    client.cookies.clear()
    for path, _ in pages(ids):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/beheer?volgende={path}", path
    token = csrf_token(client.get("/beheer").text)
    for path, _ in forms(ids):
        if path in ("/beheer/inloggen", "/beheer/afmelden"):
            continue  # signing in needs nobody; signing out of nothing changes nothing
        answer = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/beheer"), path


@pytest.mark.parametrize("role", ["police", "coordinator", "municipality"])
def test_the_wrong_role_gets_the_dutch_403_page(app: tuple[TestClient, Ids], role: str) -> None:
    client, ids = app
    sign_in(client, ACCOUNT_OF_ROLE[role])
    for path, needed in pages(ids):
        answer = client.get(path, follow_redirects=False)
        if needed is None or needed == role:
            assert answer.status_code == 200, path
        else:
            assert answer.status_code == 403, path
            assert "Geen toegang" in answer.text and 'lang="nl"' in answer.text, path
    token = csrf_token(client.get("/beheer/wachtwoord").text)
    for path, needed in forms(ids):
        if needed is not None and needed != role:
            answer = client.post(path, data={"csrf_token": token}, follow_redirects=False)
            assert answer.status_code == 403 and "met dit account" in answer.text, path


def test_an_account_of_no_municipality_gets_403(app: tuple[TestClient, Ids]) -> None:
    client, _ = app
    sign_in(client, "nowhere")
    answer = client.get("/beheer/gemeente/accounts")
    assert answer.status_code == 403 and "hoort bij geen gemeente" in answer.text


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        pytest.param(
            "police-elders", "post", "/beheer/politie/{registration}/goedkeuren", id="vet"
        ),
        pytest.param(
            "police-elders", "post", "/beheer/politie/{registration}/weigeren", id="refuse"
        ),
        pytest.param("police-elders", "post", "/beheer/politie/{registration}/groep", id="assign"),
        pytest.param("coord-other", "post", "/beheer/groep/leden/{member}/toegevoegd", id="add"),
        pytest.param("coord-other", "post", "/beheer/groep/leden/{member}/verwijderd", id="remove"),
        pytest.param(
            "town-elders", "get", "/beheer/gemeente/voorstellen/{proposal}", id="proposal"
        ),
        pytest.param(
            "town-elders", "get", "/beheer/gemeente/voorstellen/{proposal}/kaart", id="map"
        ),
        pytest.param(
            "town-elders",
            "post",
            "/beheer/gemeente/voorstellen/{proposal}/goedkeuren",
            id="approve",
        ),
        pytest.param(
            "town-elders", "post", "/beheer/gemeente/voorstellen/{proposal}/afwijzen", id="reject"
        ),
        pytest.param(
            "town-elders", "post", "/beheer/gemeente/accounts/{account}/uitschakelen", id="disable"
        ),
        pytest.param(
            "town-elders", "post", "/beheer/gemeente/accounts/{account}/wachtwoord", id="reset"
        ),
        pytest.param(
            "town-elders",
            "post",
            "/beheer/gemeente/accounts/nieuwe-groep/{registration}",
            id="new-group",
        ),
        pytest.param(
            "town-elders",
            "post",
            "/beheer/gemeente/publicatie/infoborden/infobord-moggeweide/verplaatsen",
            id="move-board",
        ),
        pytest.param(
            "town-elders",
            "post",
            "/beheer/gemeente/publicatie/infoborden/infobord-moggeweide/verwijderen",
            id="remove-board",
        ),
        pytest.param("town", "get", "/beheer/gemeente/voorstellen/onbekend", id="unknown-proposal"),
        pytest.param("police", "post", "/beheer/politie/onbekend/goedkeuren", id="unknown-app"),
        pytest.param("town", "get", "/beheer/gemeente/generaties/999", id="unknown-generation"),
        pytest.param("town", "get", "/beheer/bestaat-niet", id="unknown-page"),
    ],
)
def test_another_municipality_or_group_object_is_the_dutch_404_page(
    app: tuple[TestClient, Ids], who: str, method: str, path: str
) -> None:
    client, ids = app
    sign_in(client, who)
    target = path.format(**ids.__dict__)
    if method == "get":
        answer = client.get(target, follow_redirects=False)
    else:
        token = csrf_token(client.get("/beheer/wachtwoord").text)
        data = {"csrf_token": token, "reason": "Een reden.", "email": "x@elders.test", "zone": "x"}
        data |= {"latitude": "50,874", "longitude": "5,304"}  # inside Alken: only the scope refuses
        answer = client.post(target, data=data, follow_redirects=False)
    assert answer.status_code == 404, answer.text
    assert "Niet gevonden" in answer.text and answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("token", [None, "forged.token.value"], ids=["missing", "forged"])
def test_every_form_refuses_a_post_without_a_valid_csrf_token(
    app: tuple[TestClient, Ids], token: str | None
) -> None:
    client, ids = app
    for path, needed in forms(ids):
        sign_in(client, ACCOUNT_OF_ROLE.get(needed or "", "town"))
        data = {"reason": "Een reden.", "email": "nieuw@alken.test", "role": "police"}
        if token is not None:
            data["csrf_token"] = token
        answer = client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "er is niets gewijzigd" in answer.text, path
    # Nothing was decided, added or disabled by those posts.
    sign_in(client, "police")
    assert f"/beheer/politie/{ids.registration}/goedkeuren" in client.get("/beheer/politie").text
    sign_in(client, "town")
    assert client.get(f"/beheer/gemeente/voorstellen/{ids.proposal}").text.count("Goedkeuren") >= 1
    assert "nieuw@alken.test" not in client.get("/beheer/gemeente/accounts").text
