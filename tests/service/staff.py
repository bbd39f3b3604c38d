"""The staff pages' test app: the Alken data copied, one account per role (and another town's)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.settings import Settings
from service.users import create_user
from tests.service.apps import app_settings, copy_dataset

PASSWORD = "correct horse battery"
# name: (e-mail, role, zone, municipality). Hand-made addresses, no real person's.
STAFF = {
    "police": ("politie@alken.test", "police", None, "Alken"),
    "police-elders": ("politie@elders.test", "police", None, "Elders"),
    "town": ("gemeente@alken.test", "municipality", None, "Alken"),
    "town-elders": ("gemeente@elders.test", "municipality", None, "Elders"),
    "coord": ("coord.heiligenborn@alken.test", "coordinator", "heiligenborn", None),
    "coord-other": ("coord.langveld@alken.test", "coordinator", "langveld", None),
    "coord-sj": ("coord.sintjoris@alken.test", "coordinator", "sint-joris", None),
    "nowhere": ("gemeente@nergens.test", "municipality", None, None),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_staff(database_url: str) -> None:
    """Create the STAFF accounts in a migrated database."""
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        for email, role, zone, municipality in STAFF.values():
            create_user(session, email, PASSWORD, role, zone_id=zone, municipality=municipality)
        session.commit()
    engine.dispose()


@contextmanager
def staff_app(root: Path, **overrides: Any) -> Iterator[TestClient]:
    """Start the app on a fresh copy of the Alken data in `root`, with the STAFF accounts."""
    with TestClient(create_app(staff_settings(root, **overrides))) as client:
        yield client


def csrf_token(page: str) -> str:
    """Return the CSRF token of a rendered page's forms."""
    found = CSRF.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, who: str, password: str = PASSWORD) -> httpx.Response:
    """Sign `who` (a STAFF key) in on the /beheer form, as the only user of the client's cookie jar."""
    client.cookies.clear()
    form = client.get("/beheer")
    return client.post(
        "/beheer/inloggen",
        data={"email": STAFF[who][0], "password": password, "csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Post a form of the page at `page` to `action` with that page's CSRF token."""
    token = csrf_token(client.get(page).text)
    return client.post(action, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def staff_settings(root: Path, **overrides: Any) -> Settings:
    """Return settings of an app on a fresh copy of the Alken data in `root`, with STAFF accounts."""
    data = copy_dataset(root / "data")
    database_url = f"sqlite:///{root / 'wabp.sqlite'}"
    add_staff(database_url)
    return app_settings(data, database_url, registration_rate_limit=1000, **overrides)


def bearer(client: TestClient, who: str) -> dict[str, str]:
    """Return the API's bearer header for `who` (the token route, as /voorstel signs in)."""
    answer = client.post("/api/auth/token", data={"username": STAFF[who][0], "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
