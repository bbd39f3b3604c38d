"""Settings and dataset copies for tests that start their own app."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from service.settings import Settings
from tests.conftest import DATA

TEST_KEY = "test-signing-key-" + "k" * 32


def copy_dataset(target: Path) -> Path:
    """Copy the shipped Alken dataset to `target`, leaving its database and secret behind.

    The load cache comes along: copy2 keeps the files' mtimes, so it stays valid (and is rebuilt
    where a test changes a file), which keeps each test app's start-up fast.
    """
    shutil.copytree(
        DATA, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.sqlite*", ".wabp-secret")
    )
    return target


def app_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Return settings for a test app: its own database, a fixed key, and no .env file read.

    No base map unless a test asks for one: tests have no network, and a failed tile is a console
    error in the browser tests.
    """
    values: dict[str, Any] = {"secret_key": SecretStr(TEST_KEY), "tiles": "none", **overrides}
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir, database_url=database_url, _env_file=None, **values
    )


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port of 127.0.0.1; yield its base URL (no trailing /)."""
    # Port 0: the system picks a free port, read back once the server listens (no race).
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
