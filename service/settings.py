"""Service settings, read from the environment with the ``WABP_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from zones.dataset import DEFAULT_DATA_DIR


class Settings(BaseSettings):
    """Everything that configures one running service."""

    model_config = SettingsConfigDict(env_prefix="WABP_", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR, description="dataset directory (default: the shipped Alken data)"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(
        default=2_000_000, ge=1024, description="largest request body accepted"
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://wabp:...@host/wabp "
        "(default: sqlite:///<data_dir>/wabp.sqlite)",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="token signing key (default: generated once into <data_dir>/.wabp-secret)",
    )
    token_minutes: int = Field(default=30, ge=1, le=24 * 60, description="access token lifetime")
