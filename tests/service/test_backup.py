"""``wabp backup`` and ``wabp restore``: a live service backed up, restored elsewhere, the same."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.db import make_engine, make_sessionmaker, upgrade
from service.settings import Settings
from service.users import create_user
from tests.service.apps import application, copy_dataset
from zones.generations import GenerationStore
from zones.storage import load_zones

PASSWORD = "correct horse battery"
LOOKUP = {"q": "Heiligenbornstraat 12, 3570 Alken"}


def settings_for(data_dir: Path) -> Settings:
    # As on a real machine: SQLite in the data directory and the key generated there.
    return Settings(data_dir=data_dir, registration_rate_limit=1000, _env_file=None)  # type: ignore[call-arg]


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    return result


def what_it_serves(client: TestClient, tokens: list[str], bearer: dict[str, str]) -> dict[str, Any]:
    return {
        "generations": client.get("/api/generations").json(),
        "lookup": client.get("/api/lookup", params=LOOKUP).json(),
        "zones": client.get("/api/zones").json(),
        "applications": [client.get(f"/api/aanmelding/{t}").json() for t in tokens],
        "staff": client.get("/api/auth/me", headers=bearer).status_code,
    }


@pytest.fixture(autouse=True)
def no_wabp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WABP_"):
            monkeypatch.delenv(name)


def test_backup_of_a_running_service_restores_on_a_fresh_machine(tmp_path: Path) -> None:
    source = copy_dataset(tmp_path / "old-machine" / "alken")
    # A second generation, as an approved proposal leaves behind.
    store = GenerationStore(source)
    store.commit(load_zones(source / "zones.geojson"), note="test", source="proposal:x")
    engine = make_engine(f"sqlite:///{source / 'wabp.sqlite'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        create_user(session, "police@example.be", PASSWORD, "police", municipality="Alken")
        session.commit()
    engine.dispose()

    archive = tmp_path / "wabp-backup.tar.gz"
    with TestClient(create_app(settings_for(source))) as old:
        tokens = [
            old.post("/api/registrations", json=application(phone=f"0470 00 00 0{n}")).json()[
                "token"
            ]
            for n in range(1, 4)
        ]
        signed_in = old.post(
            "/api/auth/token", data={"username": "police@example.be", "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        before = what_it_serves(old, tokens, bearer)
        # Backed up while the service runs and holds its database open (WAL mode).
        result = run("backup", str(archive), "--data", str(source))
        assert result.exit_code == 0, result.output
        assert "registrations 3" in result.output and "keep it private" in result.output

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "wabp.sqlite", "data/.wabp-secret"} <= names
    assert "data/generations/0002.geojson" in names
    assert not any(n.startswith("data/.cache") or n.startswith("data/wabp.sqlite") for n in names)

    target = tmp_path / "new-machine" / "alken"
    result = run("restore", str(archive), "--data", str(target))
    assert result.exit_code == 0, result.output
    with TestClient(create_app(settings_for(target))) as new:
        # The same answers, the applicants' private links and the staff's token still work.
        assert what_it_serves(new, tokens, bearer) == before
    assert before["staff"] == 200 and len(before["generations"]) == 2

    # A restore never overwrites: the same target again is refused.
    again = run("restore", str(archive), "--data", str(target))
    assert again.exit_code == 1 and "not empty" in again.output


def test_a_damaged_archive_restores_nothing(tmp_path: Path) -> None:
    source = copy_dataset(tmp_path / "alken")
    upgrade(make_engine(f"sqlite:///{source / 'wabp.sqlite'}"))
    archive = tmp_path / "backup.tar.gz"
    assert run("backup", str(archive), "--data", str(source)).exit_code == 0
    # Rewrite one member with other content: its checksum no longer matches the manifest.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(damaged, "w:gz") as new:
        for member in old.getmembers():
            content = old.extractfile(member)
            assert content is not None
            body = content.read()
            if member.name == "data/zones.geojson":
                body = body.replace(b"Heiligenborn", b"Heiligenbron")
                member.size = len(body)
            new.addfile(member, io.BytesIO(body))
    target = tmp_path / "restored"
    result = run("restore", str(damaged), "--data", str(target))
    assert result.exit_code == 1 and "damaged" in result.output
    assert not target.exists()


def test_postgresql_backup_says_how_to_use_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = copy_dataset(tmp_path / "alken")
    monkeypatch.setenv("WABP_DATABASE_URL", "postgresql+psycopg://wabp:geheim@db.example/wabp")
    archive = tmp_path / "files.tar.gz"
    result = run("backup", str(archive), "--data", str(source))
    assert result.exit_code == 0, result.output
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    assert "geheim" not in result.output  # the password is never printed
    with tarfile.open(archive) as tar:
        assert "wabp.sqlite" not in tar.getnames() and "data/zones.geojson" in tar.getnames()
