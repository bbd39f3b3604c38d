"""`wabp serve` as a real process for the tests that need several of them, or need to kill one.

The tiny dataset (two squares of ``tests/fixtures`` and the 16-address register) starts in a couple
of seconds, so a test can restart a server many times.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import shapely

from service.db import make_engine, make_sessionmaker, upgrade
from service.users import create_user
from tests.common import FIXTURES
from tests.service.apps import TEST_KEY
from tests.service.served import free_port

WABP = Path(sys.executable).with_name("wabp")
PASSWORD = "correct horse battery staple"
TOWN = "zones@alken.example.be"
# The west square of zones_valid.geojson, and the same square reaching 0.002° into the east one.
WEST = shapely.Polygon([(5.28, 50.87), (5.29, 50.87), (5.29, 50.88), (5.28, 50.88)])
WEST_WIDER = shapely.Polygon([(5.28, 50.87), (5.292, 50.87), (5.292, 50.88), (5.28, 50.88)])


def tiny_dataset(root: Path) -> Path:
    """Write the tiny dataset (zones west and oost, 16 addresses, municipality Alken) to `root`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "register_crab.csv", root / "addresses.csv")
    shutil.copy(FIXTURES / "zones_valid.geojson", root / "zones.geojson")
    (root / "dataset.json").write_text('{"name": "Alken"}\n', encoding="utf-8")
    return root


def add_municipality_user(database_url: str) -> None:
    """Create the municipality account of Alken in a (migrated) database."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            create_user(session, TOWN, PASSWORD, "municipality", municipality="Alken")
            session.commit()
    finally:
        engine.dispose()


def west_feature(shape: Any, note: str = "") -> dict[str, Any]:
    """Return a proposal body giving zone west `shape`."""
    result: dict[str, Any] = json.loads(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"zone_id": "west", "note": note},
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    )
    return result


@dataclass
class Served:
    """A running `wabp serve` process (its own process group, so its workers die with it)."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """Return an HTTP client for this server."""
        return httpx.Client(base_url=self.base, timeout=timeout)

    def token(self) -> dict[str, str]:
        """Sign the municipality in and return its bearer header."""
        with self.client() as c:
            answer = c.post("/api/auth/token", data={"username": TOWN, "password": PASSWORD})
            answer.raise_for_status()
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def kill(self) -> None:
        """SIGKILL the server and its workers, at once (no shutdown runs)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server the usual way (SIGTERM), killing it if it hangs."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def serve(
    root: Path, database_url: str, *, workers: int = 1, startup_timeout: float = 90.0
) -> Served:
    """Start `wabp serve` on `root` with `database_url` and wait until it answers."""
    port = free_port()
    log = root.parent / f"serve-{port}.log"
    env = {
        **os.environ,
        "WABP_DATABASE_URL": database_url,
        "WABP_SECRET_KEY": TEST_KEY,
    }
    command = [str(WABP), "serve", "--port", str(port), "--data", str(root)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"wabp serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{served.base}/healthz", timeout=2).status_code == 200:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    served.kill()
    raise AssertionError(f"wabp serve did not start: {log.read_text(errors='replace')[-2000:]}")
