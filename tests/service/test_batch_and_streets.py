"""Contract of POST /api/lookup/batch and GET /api/streets on the shipped Alken data."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from zones.results import LookupResult, StreetSuggestion

RESULTS = TypeAdapter(list[LookupResult])
SUGGESTIONS = TypeAdapter(list[StreetSuggestion])


def batch(client: TestClient, addresses: Any) -> list[LookupResult]:
    response = client.post("/api/lookup/batch", json=addresses)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return RESULTS.validate_python(response.json())


def streets(client: TestClient, **params: Any) -> list[StreetSuggestion]:
    response = client.get("/api/streets", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return SUGGESTIONS.validate_python(response.json())


# -- POST /api/lookup/batch ---------------------------------------------------------------------


def test_batch_answers_in_the_same_order(client: TestClient) -> None:
    queries = [
        "Heiligenbornstraat 12, 3570 Alken",
        "motstraat10",
        "Grootstraat 2, 3570 Alken",  # a real address in no zone
        "Waterkant 1, 3570 Alken",  # not a street of the register
        "Heiligenbornstraat 12, 3570 Alken",  # a repeat gets the same answer
    ]
    results = batch(client, queries)
    assert [r.status for r in results] == ["found", "found", "no_zone", "not_found", "found"]
    assert [[z.id for z in r.zones] for r in results] == [
        ["heiligenborn"],
        ["klameer-hamee"],
        [],
        [],
        ["heiligenborn"],
    ]
    assert results[0] == results[4]


def test_batch_agrees_with_single_lookups(client: TestClient) -> None:
    queries = ["St. Jorisstraat 10", "olv straat 106a", "Kerkstraat"]
    for query, result in zip(queries, batch(client, queries), strict=True):
        single = client.get("/api/lookup", params={"q": query})
        assert result == LookupResult.model_validate(single.json())


@pytest.mark.parametrize("bad", ["", "   \t "])
def test_an_unusable_item_is_not_found_not_a_4xx(client: TestClient, bad: str) -> None:
    before, middle, after = batch(client, ["motstraat10", bad, "Heiligenbornstraat 12"])
    assert middle.status == "not_found"
    assert [w.code for w in middle.warnings] == ["invalid_query"]
    assert before.status == after.status == "found"


def test_an_empty_batch_is_an_empty_answer(client: TestClient) -> None:
    assert batch(client, []) == []


def test_a_full_batch_of_1000_is_accepted(client: TestClient) -> None:
    results = batch(client, ["motstraat10"] * 1000)
    assert len(results) == 1000
    assert {r.status for r in results} == {"found"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(["motstraat10"] * 1001, id="1,001 items"),
        pytest.param(["motstraat10", "x" * 201], id="an item over 200 characters"),
        pytest.param("Heiligenbornstraat 12", id="a string, not a list"),
        pytest.param({"addresses": ["motstraat10"]}, id="an object"),
        pytest.param(["motstraat10", 12], id="a number item"),
        pytest.param([None], id="a null item"),
        pytest.param(None, id="no body"),
    ],
)
def test_bad_batch_is_422(client: TestClient, body: Any) -> None:
    response = client.post("/api/lookup/batch", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["detail"]


def test_batch_errors_do_not_echo_the_addresses(client: TestClient) -> None:
    secret = "Heiligenbornstraat 12 " + "x" * 300
    response = client.post("/api/lookup/batch", json=["motstraat10", secret])
    assert response.status_code == 422
    assert "Heiligenbornstraat" not in response.text
    assert "motstraat" not in response.text


# -- GET /api/streets ---------------------------------------------------------------------------


def test_streets_heil_is_heiligenbornstraat(client: TestClient) -> None:
    first = streets(client, q="heil")[0]
    assert (first.name, first.postcode, first.municipality) == (
        "Heiligenbornstraat",
        "3570",
        "Alken",
    )
    assert first.score == 1.0


@pytest.mark.parametrize(
    ("q", "first"),
    [
        pytest.param("kruis", "Kruisstraat", id="whole-name prefix before Rode Kruisplein"),
        pytest.param("st jor", "St. Jorisstraat", id="abbreviation"),
        pytest.param("olv", "O. L. Vrouwstraat", id="initials"),
        pytest.param("heiligenbron", "Heiligenbornstraat", id="typo"),
    ],
)
def test_streets_ranking(client: TestClient, q: str, first: str) -> None:
    assert streets(client, q=q)[0].name == first


def test_streets_with_no_match_is_an_empty_list(client: TestClient) -> None:
    assert streets(client, q="qzx") == []
    assert streets(client, q="   ") == []


@pytest.mark.parametrize(
    ("limit", "count"),
    [
        pytest.param(1, 1, id="1"),
        pytest.param(5, 5, id="5"),
        pytest.param(
            50, 19, id="50, more than there are"
        ),  # 19 Alken streets have a word in "k..."
    ],
)
def test_streets_limit(client: TestClient, limit: int, count: int) -> None:
    assert len(streets(client, q="k", limit=limit)) == count


def test_streets_default_limit_is_10(client: TestClient) -> None:
    assert len(streets(client, q="k")) == 10


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="q missing"),
        pytest.param({"q": ""}, id="q empty"),
        pytest.param({"q": "h" * 201}, id="q over 200 characters"),
        pytest.param({"q": "heil", "limit": 0}, id="limit 0"),
        pytest.param({"q": "heil", "limit": 51}, id="limit 51"),
        pytest.param({"q": "heil", "limit": "ten"}, id="limit not a number"),
    ],
)
def test_bad_streets_query_is_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/api/streets", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_200_characters_is_still_a_query(client: TestClient) -> None:
    assert streets(client, q="h" * 200) == []
