"""Contract of GET /api/lookup: real Alken addresses, and bad input that must never give a 5xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo.crs import LonLat, to_lambert72
from zones.dataset import Dataset
from zones.results import LookupResult

ZONE_IDS = [
    "moggeweide",
    "klameer-hamee",
    "heiligenborn",
    "terkoest-zuid",
    "langveld",
    "kolmen",
    "waterkant",
    "terkoest",
    "sint-joris",
]


def lookup(client: TestClient, **params: str) -> LookupResult:
    response = client.get("/api/lookup", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return LookupResult.model_validate(response.json())


def test_heiligenbornstraat_12(client: TestClient, dataset: Dataset) -> None:
    result = lookup(client, q="Heiligenbornstraat 12, 3570 Alken")
    assert result.status == "found"
    assert [z.name for z in result.zones] == ["WABP Heiligenborn"]
    assert result.address is not None and result.address.street == "Heiligenbornstraat"
    assert result.precision == "address"
    # At the register's point, within 1 m.
    reg = dataset.register
    (a,) = reg.find(next(s.id for s in reg.streets if s.name == "Heiligenbornstraat"), "12")
    assert result.location is not None
    got = to_lambert72(LonLat(result.location.lon, result.location.lat))
    assert ((got.x - reg.x[a]) ** 2 + (got.y - reg.y[a]) ** 2) ** 0.5 < 1.0


@pytest.mark.parametrize("zone_id", ZONE_IDS)
def test_one_real_address_per_group(client: TestClient, dataset: Dataset, zone_id: str) -> None:
    reg = dataset.register
    a = next(
        i
        for i, row in enumerate(dataset.table)
        if row.zone_ids == (zone_id,) and reg.positioned[i] and not row.near
    )
    street = reg.streets[int(reg.street_of[a])]
    result = lookup(
        client, q=f"{street.name} {reg.housenumbers[a]}, {street.postcode} {street.municipality}"
    )
    assert result.status == "found"
    assert [z.id for z in result.zones] == [zone_id]
    assert result.location is not None
    got = to_lambert72(LonLat(result.location.lon, result.location.lat))
    assert ((got.x - reg.x[a]) ** 2 + (got.y - reg.y[a]) ** 2) ** 0.5 < 1.0


def test_point_lookup_finds_the_zone_of_a_register_point(
    client: TestClient, dataset: Dataset
) -> None:
    reg = dataset.register
    a = next(i for i, row in enumerate(dataset.table) if row.source == "polygon" and not row.near)
    result = lookup(client, lat=str(reg.lat[a]), lon=str(reg.lon[a]))
    assert result.status == "found"
    assert tuple(z.id for z in result.zones) == dataset.table[a].zone_ids


def test_address_in_no_zone_says_start_one(client: TestClient) -> None:
    result = lookup(client, q="Grootstraat 2, 3570 Alken")
    assert result.status == "no_zone"
    assert result.zones == []
    assert "start_group" in result.actions
    assert "nog geen WABP-groep" in result.message


def test_unknown_street_is_not_found_in_dutch(client: TestClient) -> None:
    result = lookup(client, q="Waterkant 1, 3570 Alken")
    assert result.status == "not_found"
    assert "adressenregister" in result.message


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({"q": ""}, "invalid_query", id="empty q"),
        pytest.param({"q": "   "}, "invalid_query", id="blank q"),
        pytest.param({"q": "x" * 2048}, "invalid_request", id="2 KB q"),
        pytest.param({}, "invalid_query", id="nothing"),
        pytest.param({"lat": "abc", "lon": "5.3"}, "invalid_request", id="non-numeric lat"),
        pytest.param({"lat": "48.85", "lon": "2.35"}, "invalid_coordinates", id="Paris"),
        pytest.param({"lat": "5.28", "lon": "50.87"}, "invalid_coordinates", id="swapped"),
        pytest.param({"lat": "nan", "lon": "5.3"}, "invalid_coordinates", id="NaN"),
        pytest.param(
            {"lat": "175000", "lon": "215000"}, "invalid_coordinates", id="Lambert metres"
        ),
    ],
)
def test_bad_input_is_a_4xx_with_a_reason(
    client: TestClient, params: dict[str, str], code: str
) -> None:
    response = client.get("/api/lookup", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["detail"]


def test_validation_errors_do_not_echo_the_address(client: TestClient) -> None:
    secret = "Heiligenbornstraat 12 " + "x" * 300
    response = client.get("/api/lookup", params={"q": secret})
    assert response.status_code == 422
    assert "Heiligenbornstraat" not in response.text


def test_answer_says_what_to_do_next_and_may_be_asked_from_a_published_site(
    client: TestClient,
) -> None:
    response = client.get("/api/lookup", params={"q": "Heiligenbornstraat 12, 3570 Alken"})
    # A published site (another host, or a file) asks the service when its index is not sure.
    assert response.headers["access-control-allow-origin"] == "*"
    result = LookupResult.model_validate(response.json())
    steps = {s.code: s for s in result.next_steps}
    assert steps["join_group"].href == "/aanmelden?adres=Heiligenbornstraat+12%2C+3570+Alken"
    assert steps["call_police"].href == "tel:101" and "112" in steps["call_police"].text
    outside = lookup(client, q="Stationsstraat 1, 3500 Hasselt")
    assert outside.status == "not_found" and outside.address is None
    assert [s.code for s in outside.next_steps] == ["outside", "call_police"]
    assert "niet in Alken" in outside.next_steps[0].text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"q": "x" * 2048}, "q", id="2 KB q"),
        pytest.param({"lat": "abc", "lon": "5.3"}, "lat", id="non-numeric lat"),
        pytest.param({"q": "Motstraat 10", "generation": "0"}, "generation", id="generation 0"),
    ],
)
def test_a_bad_query_parameter_is_named_as_fastapi_names_it(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    """The lookup's query string is one model (service.query): the 422 names the parameter."""
    response = client.get("/api/lookup", params=params)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


def test_the_lookup_parameters_are_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/lookup"]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert set(documented) == {"q", "lat", "lon", "generation"}
    assert all(p["in"] == "query" and not p["required"] for p in documented.values())
    assert "Heiligenbornstraat" in documented["q"]["description"]
    # The current generation named by its number answers as without it.
    current = client.get("/api/lookup", params={"q": "Motstraat 10"})
    named = client.get("/api/lookup", params={"q": "Motstraat 10", "generation": 1})
    assert named.status_code == 200 and named.json() == current.json()
