"""Schema-driven fuzzing: every operation of the OpenAPI document, as each role; never a 5xx.

Schemathesis generates the requests from the app's own ``/openapi.json``; they are sent through one
TestClient, so the app (and its dataset) starts once rather than once per operation. The dataset is a
private copy: approving a fuzzed proposal may write a new zone generation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from service.app import create_app
from service.auth import create_access_token
from service.db import make_engine, make_sessionmaker, upgrade
from service.users import create_user
from tests.service.apps import TEST_KEY, app_settings, copy_dataset

EXAMPLES = 8  # per operation and role: ~40 operations x 2 roles stay well under a minute
ACCOUNTS = {
    "police": ("police", None, "Alken"),
    "municipality": ("municipality", None, "Alken"),
    "coordinator": ("coordinator", "heiligenborn", None),
}


def _role_for(path: str) -> str:
    """Pick the role that gets past the role check of a path, so the handler itself is fuzzed."""
    if path.startswith("/api/groups/"):
        return "coordinator"
    if path.startswith(("/api/audit", "/api/proposals")):
        return "municipality"
    return "police"


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    root = tmp_path_factory.mktemp("fuzz")
    data = root / "data"
    copy_dataset(data)
    url = f"sqlite:///{root / 'wabp.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    tokens = {}
    with make_sessionmaker(engine)() as session:
        for role, (kind, zone, municipality) in ACCOUNTS.items():
            user = create_user(
                session,
                f"{role}@fuzz.test",
                "x" * 12,
                kind,
                zone_id=zone,
                municipality=municipality,
            )
            tokens[role] = create_access_token(user, TEST_KEY.encode(), 60)
        session.commit()
    engine.dispose()
    settings_ = app_settings(data, url, registration_rate_limit=100_000)
    with TestClient(create_app(settings_), raise_server_exceptions=False) as client:
        yield client, tokens


def _send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    body = kwargs.pop("data", None)
    if body is not None and not isinstance(body, dict):
        kwargs["content"] = body  # raw bytes: httpx names this `content`
    elif body is not None:
        kwargs["data"] = body
    cookies = kwargs.pop("cookies", None) or {}
    if cookies:  # per-request cookies are deprecated in httpx: send them as the header
        cookie = "; ".join(f"{k}={quote(str(v))}" for k, v in cookies.items())
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "Cookie": cookie}
    kwargs.pop("allow_redirects", None)
    kwargs.pop("timeout", None)
    kwargs.pop("verify", None)
    return client.request(**kwargs)


def _fuzz(client: TestClient, operation: Any, auth: str | None, token: str | None) -> list[str]:
    """Send generated requests for one operation; return a line per 5xx answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = _send(client, case, headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} as {auth or 'anonymous'}: "
                f"{response.status_code} {response.text[:200]}"
            )

    check()
    return failures


def test_no_operation_answers_5xx(fuzz: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = fuzz
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # the registrations API and the rest of the service
    failures: list[str] = []
    for operation in operations:
        role = _role_for(operation.path)
        failures += _fuzz(client, operation, None, None)
        failures += _fuzz(client, operation, role, tokens[role])
    assert failures == []
