"""Settings and dataset copies for tests that start their own app."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

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


def application(**overrides: Any) -> dict[str, Any]:
    """A valid application for Heiligenbornstraat 12 (zone heiligenborn); override any field."""
    return {
        "role": "participant",
        "name": "Test Aanvrager",
        "address": "Heiligenbornstraat 12, 3570 Alken",
        "phone": "0470 00 00 01",
        "email": "",
        "adult": True,
        "relation": "live",
        "accept_rules": True,
        "accept_statement": True,
        "consent_police": True,
        **overrides,
    }
