"""Retention: `wabp purge` erases refused, removed, undecided and left members, and old events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service import registrations as reg
from service.cli import app as cli
from service.db import make_engine, make_sessionmaker, upgrade
from service.tables import AuditEvent, Consent, RateEvent, Registration
from tests.service.apps import application
from tests.service.test_registrations import data_copy
from zones.dataset import Dataset
from zones.lookup import Locator
from zones.rules import load_group_rules

__all__ = ["data_copy"]

T0 = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
ACTOR = "a" * 32
# The defaults of service.settings, in days.
RETENTION = {
    "refused_days": 30,
    "removed_days": 365,
    "pending_days": 90,
    "leaving_days": 30,
    "audit_days": 730,
}
KEEP_REGISTRATIONS = {
    "refused_days": 10_000,
    "removed_days": 10_000,
    "pending_days": 10_000,
    "leaving_days": 10_000,
}


@pytest.fixture(scope="module")
def locator(data_copy: Path) -> Locator:
    return Locator(Dataset.load(data_copy))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _apply(session: Session, locator: Locator, now: datetime, **overrides: Any) -> Registration:
    data = reg.RegistrationIn.model_validate(application(**overrides))
    rules = load_group_rules(locator.ds.paths.root)
    return reg.submit(session, locator, rules, data, now=now).registration


def _story(session: Session, locator: Locator, now: datetime) -> dict[str, str]:
    """One refused, one removed by the coordinator, one pending, one added, one left (not removed)."""
    refused = _apply(session, locator, now, phone="0470 00 03 01")
    reg.refuse(session, refused.id, "Alken", ACTOR, now=now)
    removed = _apply(session, locator, now, phone="0470 00 03 02")
    reg.approve(session, removed.id, "Alken", ACTOR, 1024, now=now)
    assert reg.mark_removed(session, "heiligenborn", removed.id, ACTOR, now=now) == "removed"
    pending = _apply(session, locator, now, phone="0470 00 03 03")
    added = _apply(session, locator, now, phone="0470 00 03 04")
    reg.approve(session, added.id, "Alken", ACTOR, 1024, now=now)
    reg.mark_added(session, "heiligenborn", added.id, ACTOR, now=now)
    data = reg.RegistrationIn.model_validate(application(phone="0470 00 03 06"))
    leaving = reg.submit(session, locator, load_group_rules(locator.ds.paths.root), data, now=now)
    reg.approve(session, leaving.registration.id, "Alken", ACTOR, 1024, now=now)
    assert reg.withdraw(session, leaving.token, now=now) == "leaving"
    session.commit()
    return {
        "refused": refused.id,
        "removed": removed.id,
        "pending": pending.id,
        "added": added.id,
        "leaving": leaving.registration.id,
    }


def _left(session: Session) -> set[str]:
    return set(session.scalars(select(Registration.id)))


def _events(session: Session) -> list[tuple[str, datetime]]:
    rows = session.execute(select(AuditEvent.object_id, AuditEvent.at).order_by(AuditEvent.id))
    return [(object_id, at) for object_id, at in rows]


@pytest.mark.parametrize(
    ("days_later", "erased"),
    [
        pytest.param(29, set(), id="within-30-days"),
        pytest.param(31, {"refused", "leaving"}, id="refused-and-left-after-30-days"),
        pytest.param(91, {"refused", "leaving", "pending"}, id="undecided-after-90-days"),
        pytest.param(366, {"refused", "leaving", "removed", "pending"}, id="removed-after-a-year"),
    ],
)
def test_purge_with_a_frozen_clock(
    engine: Engine, locator: Locator, days_later: int, erased: set[str]
) -> None:
    with make_sessionmaker(engine)() as session:
        ids = _story(session, locator, T0)
        later = T0 + timedelta(days=days_later)
        dry = reg.purge(session, **RETENTION, now=later, dry_run=True)
        assert _left(session) == set(ids.values())  # a dry run changes nothing
        report = reg.purge(session, **RETENTION, now=later)
        session.commit()
        assert report == dry
        assert report.total == len(erased)
        assert report.audit_events == 0
        assert _left(session) == {ids[k] for k in ids if k not in erased}
        # Consents go with their registration; the log keeps the id and why, nothing personal.
        kept = session.scalar(select(func.count()).select_from(Consent))
        assert kept == 3 * (len(ids) - len(erased))
        erasures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "registration.erase")
        ).all()
        assert {e.object_id for e in erasures} == {ids[k] for k in erased}
        assert all(e.detail.startswith("reason=retention-") for e in erasures)


@pytest.mark.parametrize(
    ("days_later", "gone"),
    [
        pytest.param(729, False, id="within-2-years"),
        pytest.param(731, True, id="after-2-years"),
    ],
)
def test_audit_events_go_after_their_retention(
    engine: Engine, locator: Locator, days_later: int, gone: bool
) -> None:
    with make_sessionmaker(engine)() as session:
        ids = _story(session, locator, T0)
        recent = _apply(session, locator, T0 + timedelta(days=400), phone="0470 00 03 05")
        session.commit()
        before = _events(session)
        # Every change of the story, stamped with the frozen clock: 2 + 3 + 1 + 3 + 3, and one
        # submit.
        assert len(before) == 13
        later = T0 + timedelta(days=days_later)
        dry = reg.purge(session, **KEEP_REGISTRATIONS, audit_days=730, now=later, dry_run=True)
        assert _events(session) == before  # a dry run changes nothing
        report = reg.purge(session, **KEEP_REGISTRATIONS, audit_days=730, now=later)
        session.commit()
        assert report == dry
        assert report.audit_events == (12 if gone else 0)
        assert report.total == 0
        # Only the log goes: the registrations it spoke of stay until their own rule erases them.
        assert _left(session) == {*ids.values(), recent.id}
        left = _events(session)
        assert left == ([(recent.id, T0 + timedelta(days=400))] if gone else before)


def test_cli_purge_dry_run_then_for_real(
    engine: Engine, locator: Locator, data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_sessionmaker(engine)() as session:
        ids = _story(session, locator, datetime.now(UTC) - timedelta(days=40))
        events = _events(session)
    monkeypatch.setenv("WABP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    dry = runner.invoke(cli, ["purge", "--dry-run", "--data", str(data_copy)])
    assert dry.exit_code == 0, dry.output
    assert dry.output == (
        "would erase 1 refused application(s) older than 30 days, 0 removed member(s) older than "
        "365 days, 0 undecided application(s) older than 90 days, 1 member(s) who left older than "
        "30 days and 0 audit event(s) older than 730 days\n"
        "would erase 0 outbox message(s) older than 30 days\n"
        "would erase 0 expired staff sign-in session(s)\n"
        "would erase 0 limit count(s) older than 900 seconds\n"
    )
    monkeypatch.setenv("WABP_RETENTION_PENDING_DAYS", "30")
    monkeypatch.setenv("WABP_RETENTION_AUDIT_DAYS", "30")
    dry = runner.invoke(cli, ["purge", "--dry-run", "--data", str(data_copy)])
    assert "1 undecided application(s) older than 30 days" in dry.output
    assert "12 audit event(s) older than 30 days" in dry.output
    with make_sessionmaker(engine)() as session:
        assert _left(session) == set(ids.values())
        assert _events(session) == events
    monkeypatch.setenv("WABP_RETENTION_REMOVED_DAYS", "10")
    done = runner.invoke(cli, ["purge", "--data", str(data_copy)])
    assert done.exit_code == 0, done.output
    assert "erased 1 refused application(s)" in done.output
    assert "1 removed member(s) older than 10 days" in done.output
    assert "1 member(s) who left" in done.output
    assert "12 audit event(s)" in done.output
    with make_sessionmaker(engine)() as session:
        assert _left(session) == {ids["added"]}
        # What is left of the log: this run's erasures, by id and reason.
        assert {action for (action,) in session.execute(select(AuditEvent.action))} == {
            "registration.erase"
        }


def test_cli_purge_erases_limit_counts_no_window_sees(
    engine: Engine, data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window drops old counts only when it counts a new one: a quiet one kept the keyed hashes
    # of the last addresses and accounts for good. Purge erases those past the longest window.
    now = datetime.now(UTC)
    with make_sessionmaker(engine)() as session:
        for scope, age in [
            ("registration:client", 3600),
            ("login:account+client", 1000),
            ("login:client", 60),
        ]:
            session.add(RateEvent(scope=scope, key=scope, at=now - timedelta(seconds=age)))
        session.commit()
    monkeypatch.setenv("WABP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("WABP_REGISTRATION_RATE_WINDOW", "1200")
    done = CliRunner().invoke(cli, ["purge", "--data", str(data_copy)])
    assert done.exit_code == 0, done.output
    assert "erased 1 limit count(s) older than 1200 seconds" in done.output
    with make_sessionmaker(engine)() as session:
        left = set(session.scalars(select(RateEvent.scope)))
    assert left == {"login:account+client", "login:client"}


def test_withdrawal_erases_at_once(engine: Engine, locator: Locator) -> None:
    with make_sessionmaker(engine)() as session:
        data = reg.RegistrationIn.model_validate(application(phone="0470 00 03 09"))
        done = reg.submit(session, locator, load_group_rules(locator.ds.paths.root), data, now=T0)
        session.commit()
        assert reg.withdraw(session, done.token) == "erased"
        session.commit()
        assert _left(session) == set()
        with pytest.raises(reg.UnknownRegistrationError):
            reg.by_token(session, done.token)


@pytest.mark.parametrize(
    ("days_later", "kept"),
    [
        pytest.param(29, True, id="within-30-days"),
        pytest.param(30, False, id="after-30-days"),
    ],
)
def test_a_member_who_left_is_erased_even_if_the_coordinator_never_acts(
    engine: Engine, locator: Locator, days_later: int, kept: bool
) -> None:
    with make_sessionmaker(engine)() as session:
        data = reg.RegistrationIn.model_validate(application(phone="0470 00 03 10"))
        done = reg.submit(session, locator, load_group_rules(locator.ds.paths.root), data, now=T0)
        reg.approve(session, done.registration.id, "Alken", ACTOR, 1024, now=T0)
        reg.mark_added(session, "heiligenborn", done.registration.id, ACTOR, now=T0)
        left = T0 + timedelta(days=3)
        assert reg.withdraw(session, done.token, now=left) == "leaving"
        session.commit()
        # The period runs from the withdrawal, not from the application or the approval.
        report = reg.purge(session, **RETENTION, now=left + timedelta(days=days_later))
        session.commit()
        assert report.leaving == report.total == (0 if kept else 1)
        assert _left(session) == ({done.registration.id} if kept else set())
        if not kept:
            [erasure] = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "registration.erase")
            ).all()
            assert erasure.detail == "reason=retention-leaving"
