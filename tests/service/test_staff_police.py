"""The police's pages: the queue of applications, "Goedkeuren" / "Weigeren", the decided list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.apps import application
from tests.service.staff import post_form, sign_in, staff_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with staff_app(tmp_path_factory.mktemp("police")) as client:
        yield client


def apply(client: TestClient, **overrides: Any) -> str:
    answer = client.post("/api/registrations", json=application(**overrides))
    assert answer.status_code == 201, answer.text
    registration_id: str = answer.json()["id"]
    return registration_id


def cards(page: str) -> list[str]:
    """Return the text of each application card, in page order (its title first)."""
    found = re.findall(r'<li class="card">(.*?)</li>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in found]


def test_queue_oldest_first_with_what_vetting_needs(client: TestClient) -> None:
    first = apply(client, name="Eerste Aanvrager", phone="0470 00 00 11")
    apply(client, name="Tweede Aanvrager", phone="0470 00 00 11")  # same phone as the first
    apply(client, name="Eerste Aanvrager", phone="0470 00 00 13", role="coordinator")  # same name
    sign_in(client, "police")
    page = client.get("/beheer/politie")
    assert page.status_code == 200
    shown = cards(page.text)
    mine = [c for c in shown if "Aanvrager" in c][-3:]
    assert [" ".join(c.split()[:2]) for c in mine] == [
        "Eerste Aanvrager",
        "Tweede Aanvrager",
        "Eerste Aanvrager",
    ]
    assert "Heiligenbornstraat 12, 3570 Alken" in mine[0]
    assert "WABP Heiligenborn" in mine[0] and "deelnemer" in mine[0]
    assert "0 dagen" in mine[0]
    # The first shares its phone with the second and its name with the third.
    assert "2 andere aanmeldingen met hetzelfde gsm-nummer of dezelfde naam" in mine[0]
    assert "1 andere aanmelding met" in mine[1]
    assert "nieuwe coördinator" in mine[2]
    assert f"/beheer/politie/{first}/goedkeuren" in page.text


def test_approve_and_refuse(client: TestClient) -> None:
    approved, refused = apply(client, name="Goed Keuring"), apply(client, name="Af Wijzing")
    sign_in(client, "police")
    answer = post_form(client, "/beheer/politie", f"/beheer/politie/{approved}/goedkeuren")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/politie?melding=goedgekeurd"
    assert "De aanmelding is goedgekeurd." in client.get(answer.headers["location"]).text
    answer = post_form(client, "/beheer/politie", f"/beheer/politie/{refused}/weigeren")
    assert answer.headers["location"] == "/beheer/politie?melding=geweigerd"
    queue = client.get("/beheer/politie").text
    assert "Goed Keuring" not in queue and "Af Wijzing" not in queue
    decided = client.get("/beheer/politie/beslist").text
    assert "Goed Keuring" in decided and "Af Wijzing" in decided
    assert "geweigerd op" in decided and "goedgekeurd op" in decided
    # Deciding twice is refused with a Dutch page, not JSON.
    again = post_form(client, "/beheer/politie", f"/beheer/politie/{refused}/goedkeuren")
    assert again.status_code == 409 and "al beslist" in again.text
    assert again.headers["content-type"].startswith("text/html")


def test_other_municipality_sees_nothing_and_decides_nothing(client: TestClient) -> None:
    registration = apply(client, name="Alken Alleen")
    sign_in(client, "police-elders")
    assert "Alken Alleen" not in client.get("/beheer/politie").text
    answer = post_form(client, "/beheer/politie", f"/beheer/politie/{registration}/goedkeuren")
    assert answer.status_code == 404 and "Niet gevonden" in answer.text


def test_an_address_in_no_zone_gets_a_group_then_a_decision(client: TestClient) -> None:
    registration = apply(
        client,
        name="Nieuwe Starter",
        role="coordinator",
        address="Aardbruggenstraat 14, 3570 Alken",
        phone="0470 00 00 21",
    )
    sign_in(client, "police")
    card = next(c for c in cards(client.get("/beheer/politie").text) if "Nieuwe Starter" in c)
    assert "geen: het adres ligt in geen enkele zone" in card and "Groep kiezen" in card
    # Approving first is refused with what to do, in Dutch.
    early = post_form(client, "/beheer/politie", f"/beheer/politie/{registration}/goedkeuren")
    assert early.status_code == 409 and "kies eerst een groep" in early.text
    chosen = post_form(
        client, "/beheer/politie", f"/beheer/politie/{registration}/groep", {"zone": "nieuw"}
    )
    assert chosen.headers["location"] == "/beheer/politie?melding=groep"
    card = next(c for c in cards(client.get("/beheer/politie").text) if "Nieuwe Starter" in c)
    assert "nieuwe groep" in card and "Groep kiezen" not in card
    approved = post_form(client, "/beheer/politie", f"/beheer/politie/{registration}/goedkeuren")
    assert approved.status_code == 303


@pytest.mark.parametrize(
    ("radios_max", "radios"),
    [
        pytest.param(12, True, id="Alken's nine groups: radio buttons whose labels wrap"),
        pytest.param(3, False, id="many groups: a select with short labels and the hint"),
    ],
)
def test_the_choice_of_group_fits_a_phone(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, radios_max: int, radios: bool
) -> None:
    from service.routes import staff_police

    monkeypatch.setattr(staff_police, "GROUP_RADIOS_MAX", radios_max)
    name = f"Keuze {radios_max}"
    apply(
        client,
        name=name,
        role="coordinator",
        address="Aardbruggenstraat 12, 3570 Alken",
        phone=f"0470 00 00 {radios_max + 30}",
    )
    sign_in(client, "police")
    page = client.get("/beheer/politie").text
    card = next(c for c in re.findall(r'<li class="card">(.*?)</li>', page, re.S) if name in c)
    if radios:
        assert "<select" not in card
        assert "<legend>Groep kiezen voor dit adres</legend>" in card
        assert card.count('type="radio"') == 10  # a new group and the nine zones
        assert "Nieuwe groep: deze coördinator start ze" in card
    else:
        assert 'type="radio"' not in card
        assert '<option value="nieuw">Nieuwe groep</option>' in card
        assert "„Nieuwe groep”: deze coördinator start een nieuwe groep." in card
