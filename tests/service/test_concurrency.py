"""Writes under real concurrency: a served app, hundreds of clients at once, SQLite and PostgreSQL.

Not timed: the assertions are about correctness. Every answer is a 2xx/4xx or an explicit 503
with Retry-After; a write is stored if and only if it was acknowledged; lookups (no database)
keep answering while the writes queue.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, func, select

from service import csrf
from service.app import create_app
from service.db import make_engine, make_sessionmaker, upgrade
from service.registrations import token_hash
from service.tables import AuditEvent, Registration
from service.users import create_user
from tests.service.apps import app_settings, application, copy_dataset
from tests.service.served import served
from tests.service.test_signup import answers

APPLICANTS = 200
FORM_EVERY = 4  # one applicant in four uses the HTML form, the others the JSON API
PASSWORD = "correct horse battery"
POLICE = "politie@alken.test"
COORD = "coord.heiligenborn@alken.test"
LOOKUP = "/api/lookup?q=Heiligenbornstraat%2012%2C%203570%20Alken"
CSRF_FIELD = re.compile(rf'name="{csrf.FIELD}" value="([^"]+)"')


@dataclass
class Outcome:
    """What the clients saw: statuses, acknowledged tokens, and the side lookups."""

    statuses: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    lookups: list[tuple[float, int]] = field(default_factory=list)  # (answered at, status)
    busy_without_retry_after: int = 0

    def record(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.busy_without_retry_after += 1

    @property
    def server_errors(self) -> list[int]:
        return [s for s in self.statuses if s >= 500 and s != 503]


T = TypeVar("T")


def client_ip(i: int) -> dict[str, str]:
    """Headers that make request ``i`` come from its own address (uvicorn trusts 127.0.0.1)."""
    return {"X-Forwarded-For": f"10.1.{i // 250}.{i % 250 + 1}"}


def phone(i: int) -> str:
    return f"0470 10 {i // 100:02d} {i % 100:02d}"


def applicant(i: int) -> dict[str, Any]:
    """A valid JSON application of applicant ``i`` (own name and phone number)."""
    return application(name=f"Aanvrager {i}", phone=phone(i))


async def apply_json(c: httpx.AsyncClient, i: int, out: Outcome) -> None:
    body = applicant(i)
    r = await c.post("/api/registrations", json=body, headers=client_ip(i))
    out.record(r)
    if r.status_code == 201:
        out.tokens.append(r.json()["token"])


async def apply_form(c: httpx.AsyncClient, i: int, out: Outcome) -> None:
    # Each form applicant is a browser of its own: its own cookie jar.
    async with httpx.AsyncClient(base_url=str(c.base_url), timeout=c.timeout) as browser:
        page = await browser.get("/aanmelden", headers=client_ip(i))
        out.record(page)
        if page.status_code != 200:
            return
        match = CSRF_FIELD.search(page.text)
        assert match is not None
        data = {csrf.FIELD: match.group(1), **answers(name=f"Aanvrager {i}", phone=phone(i))}
        headers = {**client_ip(i), "Origin": str(c.base_url).rstrip("/")}
        r = await browser.post("/aanmelden", data=data, headers=headers)
        out.record(r)
        if r.status_code == 303:
            out.tokens.append(r.headers["location"].split("/")[2])


async def lookup_loop(c: httpx.AsyncClient, stop: asyncio.Event, out: Outcome) -> None:
    while not stop.is_set():
        r = await c.get(LOOKUP, headers=client_ip(9999))
        out.lookups.append((time.monotonic(), r.status_code))
        await asyncio.sleep(0.05)


async def storm(base_url: str, jobs: list[Any], out: Outcome) -> float:
    """Run the jobs all at once with a lookup loop beside them; return when the last one ended."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base_url, timeout=300, limits=limits) as c:
        stop = asyncio.Event()
        side = asyncio.create_task(lookup_loop(c, stop, out))
        await asyncio.sleep(0.2)  # the loop is answering before the storm starts
        await asyncio.gather(*(job(c) for job in jobs))
        finished = time.monotonic()
        stop.set()
        await side
    return finished


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own.

    The browser tests' Playwright keeps an event loop running in the main thread for the whole
    session, and asyncio.run() refuses to start inside a running loop.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def count(engine: Engine, model: Any, *where: Any) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@contextmanager
def serve(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[tuple[str, Engine]]:
    """Serve the Alken app over TCP on an empty database, with a police and a coordinator account."""
    data_dir = copy_dataset(tmp_path / "alken")
    engine = make_engine(database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, POLICE, PASSWORD, "police", municipality="Alken")
        create_user(session, COORD, PASSWORD, "coordinator", zone_id="heiligenborn")
        session.commit()
    settings = app_settings(data_dir, database_url, **overrides)
    with served(create_app(settings)) as url:
        yield url, engine
    engine.dispose()


@pytest.fixture
def served_app(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """The app with the default limits."""
    with serve(database_url, tmp_path) as served_app:
        yield served_app


def bearer(base_url: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base_url}/api/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_200_simultaneous_applications_then_exports_vetting_and_hand_off(
    served_app: tuple[str, Engine],
) -> None:
    url, engine = served_app

    # 1. 200 applications at once, each from its own address; a quarter through the form.
    out = Outcome()
    jobs = [
        (lambda c, i=i: (apply_form if i % FORM_EVERY == 0 else apply_json)(c, i, out))
        for i in range(APPLICANTS)
    ]
    finished = run(storm(url, jobs, out))

    assert out.server_errors == []
    assert out.busy_without_retry_after == 0
    assert set(out.statuses) <= {200, 201, 303, 503}, sorted(set(out.statuses))
    acknowledged = set(out.tokens)
    assert acknowledged, "no application was acknowledged at all"
    # Stored if and only if acknowledged: the same count, and each token's row is there.
    assert count(engine, Registration) == len(acknowledged)
    hashes = {token_hash(t) for t in acknowledged}
    assert count(engine, Registration, Registration.token_hash.in_(hashes)) == len(acknowledged)
    # The lookups kept answering during the storm, every one of them.
    assert [s for _, s in out.lookups if s != 200] == []
    assert sum(1 for at, _ in out.lookups if at < finished) >= 3

    # 2. Every applicant downloads their data at once: each read writes an audit event.
    exports = Outcome()

    async def export(c: httpx.AsyncClient, i: int, token: str) -> None:
        r = await c.get(f"/api/aanmelding/{token}/export", headers=client_ip(i))
        exports.record(r)

    tokens = sorted(acknowledged)
    before = count(engine, AuditEvent, AuditEvent.action == "registration.export")
    run(storm(url, [(lambda c, i=i, t=t: export(c, i, t)) for i, t in enumerate(tokens)], exports))
    assert exports.server_errors == [] and exports.busy_without_retry_after == 0
    exported = exports.statuses.count(200)
    assert (
        count(engine, AuditEvent, AuditEvent.action == "registration.export") - before == exported
    )

    # 3. The police approve 30 at once; the coordinator marks them added at once.
    police, coord = bearer(url, POLICE), bearer(url, COORD)
    with make_sessionmaker(engine)() as session:
        ids = session.scalars(select(Registration.id).limit(30)).all()
    vetting = Outcome()

    async def act(c: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        vetting.record(await c.post(path, headers=headers))

    approve = [(lambda c, r=r: act(c, f"/api/registrations/{r}/approve", police)) for r in ids]
    run(storm(url, approve, vetting))
    approved = vetting.statuses.count(200)
    # The member cap of Alken's groups is far above 30: every approval that answered 200 holds.
    assert vetting.server_errors == [] and vetting.busy_without_retry_after == 0
    assert count(engine, Registration, Registration.status == "approved") == approved

    handoff = Outcome()

    async def added(c: httpx.AsyncClient, r: str) -> None:
        path = f"/api/groups/heiligenborn/members/{r}/added"
        handoff.record(await c.post(path, headers=coord))

    with make_sessionmaker(engine)() as session:
        approved_ids = session.scalars(
            select(Registration.id).where(Registration.status == "approved")
        ).all()
    run(storm(url, [(lambda c, r=r: added(c, r)) for r in approved_ids], handoff))
    assert handoff.server_errors == [] and handoff.busy_without_retry_after == 0
    assert count(engine, Registration, Registration.status == "added") == handoff.statuses.count(
        200
    )


def test_saturated_service_answers_503_with_retry_after_and_stores_only_what_it_acknowledged(
    tmp_path: Path,
) -> None:
    # One database slot, two may wait, briefly: most of 40 applications at once are turned away.
    url_db = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    limits = {"db_pool_size": 1, "db_queue": 2, "db_wait_seconds": 0.5}
    out = Outcome()
    with serve(url_db, tmp_path, **limits) as (url, engine):
        jobs = [(lambda c, i=i: apply_json(c, i, out)) for i in range(40)]
        run(storm(url, jobs, out))

        assert out.server_errors == [] and out.busy_without_retry_after == 0
        assert 503 in out.statuses and 201 in out.statuses
        assert count(engine, Registration) == len(out.tokens) == out.statuses.count(201)
        assert [s for _, s in out.lookups if s != 200] == []
        assert httpx.get(f"{url}/healthz").status_code == 200  # and it still answers


def test_two_instances_count_one_registration_limit_for_an_address(
    database_url: str, tmp_path: Path
) -> None:
    # Two served apps on one database, as two workers or two hosts: a limit of 5 per address is
    # 5 for the address, not 5 per instance, even when all its requests arrive at once.
    data_dir = copy_dataset(tmp_path / "alken")
    engine = make_engine(database_url)
    upgrade(engine)
    # Room for all twenty to wait for the database: this test is about the count, not about 503s.
    room = {"db_wait_seconds": 60}
    settings = app_settings(data_dir, database_url, registration_rate_limit=5, **room)
    out = Outcome()
    retry_after: list[str] = []
    same = {"X-Forwarded-For": "10.9.9.9"}

    async def attempt(c: httpx.AsyncClient, i: int) -> None:
        r = await c.post(
            "/api/registrations",
            json=applicant(i),
            headers=same,
        )
        out.record(r)
        if r.status_code == 429:
            retry_after.append(r.headers.get("retry-after", ""))

    with served(create_app(settings)) as first, served(create_app(settings)) as second:

        async def both() -> None:
            limits = httpx.Limits(max_connections=None)
            async with (
                httpx.AsyncClient(base_url=first, timeout=120, limits=limits) as a,
                httpx.AsyncClient(base_url=second, timeout=120, limits=limits) as b,
            ):
                await asyncio.gather(*(attempt(a if i % 2 else b, i) for i in range(20)))
                # Another address is not held back by this one's count.
                other = await a.post(
                    "/api/registrations",
                    json=applicant(99),
                    headers=client_ip(1),
                )
                out.record(other)

        run(both())
    engine.dispose()

    assert out.server_errors == []
    assert out.statuses[:20].count(201) == 5 and out.statuses[:20].count(429) == 15
    assert all(int(seconds) > 0 for seconds in retry_after)
    assert out.statuses[20] == 201
