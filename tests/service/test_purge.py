"""Retention: `wabp purge` erases refused applications and removed members once their time is up."""

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
from service.tables import AuditEvent, Consent, Registration
from tests.service.test_registrations import application, data_copy
from zones.dataset import Dataset
from zones.lookup import Locator
from zones.rules import load_group_rules

__all__ = ["data_copy"]

T0 = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
ACTOR = "a" * 32


@pytest.fixture(scope="module")
def locator(data_copy: Path) -> Locator:
    return Locator(Dataset.load(data_copy))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'wabp.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _apply(session: Session, locator: Locator, now: datetime, **overrides: Any) -> Registration:
    data = reg.RegistrationIn.model_validate(application(**overrides))
    rules = load_group_rules(locator.ds.paths.root)
    return reg.submit(session, locator, rules, data, now=now).registration


def _story(session: Session, locator: Locator, now: datetime) -> dict[str, str]:
    """One refused applicant, one member removed by the coordinator, one pending, one added."""
    refused = _apply(session, locator, now, phone="0470 00 03 01")
    reg.refuse(session, refused.id, "Alken", ACTOR, now=now)
    removed = _apply(session, locator, now, phone="0470 00 03 02")
    reg.approve(session, removed.id, "Alken", ACTOR, 1024, now=now)
    assert reg.mark_removed(session, "heiligenborn", removed.id, ACTOR, now=now) == "removed"
    pending = _apply(session, locator, now, phone="0470 00 03 03")
    added = _apply(session, locator, now, phone="0470 00 03 04")
    reg.approve(session, added.id, "Alken", ACTOR, 1024, now=now)
    reg.mark_added(session, "heiligenborn", added.id, ACTOR, now=now)
    session.commit()
    return {"refused": refused.id, "removed": removed.id, "pending": pending.id, "added": added.id}


def _left(session: Session) -> set[str]:
    return set(session.scalars(select(Registration.id)))


@pytest.mark.parametrize(
    ("days_later", "erased"),
    [
        pytest.param(29, set(), id="within-30-days"),
        pytest.param(31, {"refused"}, id="refused-after-30-days"),
        pytest.param(366, {"refused", "removed"}, id="removed-after-a-year"),
    ],
)
def test_purge_with_a_frozen_clock(
    engine: Engine, locator: Locator, days_later: int, erased: set[str]
) -> None:
    with make_sessionmaker(engine)() as session:
        ids = _story(session, locator, T0)
        later = T0 + timedelta(days=days_later)
        dry = reg.purge(session, refused_days=30, removed_days=365, now=later, dry_run=True)
        assert _left(session) == set(ids.values())  # a dry run changes nothing
        report = reg.purge(session, refused_days=30, removed_days=365, now=later)
        session.commit()
        assert (report.refused, report.removed) == (dry.refused, dry.removed)
        assert report.total == len(erased)
        assert _left(session) == {ids[k] for k in ids if k not in erased}
        # Consents go with their registration; the log keeps the id and why, nothing personal.
        kept = session.scalar(select(func.count()).select_from(Consent))
        assert kept == 3 * (len(ids) - len(erased))
        erasures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "registration.erase")
        ).all()
        assert {e.object_id for e in erasures} == {ids[k] for k in erased}
        assert all(e.detail.startswith("reason=retention-") for e in erasures)


def test_cli_purge_dry_run_then_for_real(
    engine: Engine, locator: Locator, data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_sessionmaker(engine)() as session:
        ids = _story(session, locator, datetime.now(UTC) - timedelta(days=40))
    monkeypatch.setenv("WABP_DATABASE_URL", str(engine.url))
    runner = CliRunner()
    dry = runner.invoke(cli, ["purge", "--dry-run", "--data", str(data_copy)])
    assert dry.exit_code == 0, dry.output
    assert "would erase 1 refused application(s) older than 30 days" in dry.output
    with make_sessionmaker(engine)() as session:
        assert _left(session) == set(ids.values())
    monkeypatch.setenv("WABP_RETENTION_REMOVED_DAYS", "10")
    done = runner.invoke(cli, ["purge", "--data", str(data_copy)])
    assert done.exit_code == 0, done.output
    assert "erased 1 refused application(s)" in done.output
    assert "1 removed member(s) older than 10 days" in done.output
    with make_sessionmaker(engine)() as session:
        assert _left(session) == {ids["pending"], ids["added"]}


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
