"""Service settings, read from the environment with the ``WABP_`` prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from maps.tiles import DEFAULT_TILES, tiles_from_setting
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
    session_hours: int = Field(
        default=8, ge=1, le=7 * 24, description="hours a staff sign-in on /beheer lasts"
    )
    # The interactive API documentation loads Swagger UI and ReDoc from a CDN: off unless asked
    # for (a development aid); /openapi.json is always served.
    api_docs: bool = Field(
        default=False, description="serve /docs and /redoc (their scripts come from a CDN)"
    )
    # Beside the limit per account (10 failures in 15 minutes): many accounts tried from one address.
    # Across every address: 5 addresses x 10 guesses lock the account (its owner is told).
    login_account_limit: int = Field(
        default=20, ge=1, description="failed sign-ins per account, from all addresses, per window"
    )
    login_client_limit: int = Field(
        default=30, ge=1, description="failed sign-ins per client address per window"
    )
    login_client_window: int = Field(
        default=900, ge=1, description="seconds of the per-address failed sign-in window"
    )
    # Registrations (GDPR Art. 5(1)(e)): `wabp purge` erases what is past its retention period.
    retention_refused_days: int = Field(
        default=30, ge=0, description="days a refused application is kept before it is erased"
    )
    retention_removed_days: int = Field(
        default=365, ge=0, description="days a member removed by the coordinator is kept"
    )
    retention_pending_days: int = Field(
        default=90, ge=0, description="days an application nobody decided is kept"
    )
    retention_leaving_days: int = Field(
        default=30, ge=0, description="days a member who left is kept if the coordinator never acts"
    )
    # Audit events name ids and actions, no personal data: kept to answer who saw or changed a
    # record (a complaint, a data-protection request), then dropped like everything else.
    retention_audit_days: int = Field(default=730, ge=0, description="days an audit event is kept")
    registration_rate_limit: int = Field(
        default=10, ge=1, description="public registrations per client address per window"
    )
    registration_rate_window: int = Field(
        default=600, ge=1, description="seconds of the registration rate-limit window"
    )
    registration_max_body_bytes: int = Field(
        default=16_384, ge=1024, description="largest registration body accepted"
    )
    # Writes under load (service/admission.py): requests that use the database at once (also the
    # connection pool's size), how many may wait for a turn, and how long, before a quick 503.
    db_pool_size: int = Field(
        default=8, ge=1, le=100, description="requests using the database at once, per process"
    )
    db_queue: int = Field(
        default=256, ge=0, description="requests that may wait for the database before 503"
    )
    db_wait_seconds: float = Field(
        default=10.0, gt=0, le=120, description="longest wait for the database before 503"
    )

    # The base map, and publishing (`wabp publish`, `wabp print`): where residents register.
    tiles: str = Field(
        default=DEFAULT_TILES,
        description="base map of the served pages and /voorstel (and of `wabp publish` when set): "
        "none, osm, grb, cartoweb, register (streets drawn from the address register, offline) "
        "or an XYZ URL template",
    )
    tiles_attribution: str | None = Field(
        default=None, description="credit of the tile provider (required with a URL)"
    )
    base_url: str | None = Field(
        default=None,
        description="public address of the service: the published site's lookup and registration",
    )
    register_url: str | None = Field(
        default=None, description="registration page for the QR codes and the published site"
    )

    # E-mail (service.mail): without an SMTP host messages wait in the outbox (`wabp outbox`).
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: mail waits")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (465 with TLS)")
    smtp_starttls: bool = Field(
        default=True, description="upgrade the connection with STARTTLS (ignored with TLS)"
    )
    smtp_tls: bool = Field(default=False, description="implicit TLS from the start (port 465)")
    smtp_user: str | None = Field(default=None, description="SMTP user name, if it needs one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_timeout: float = Field(default=30, gt=0, le=300, description="seconds per SMTP step")
    mail_from: str | None = Field(
        default=None, description="sender address, e.g. 'Buurtpreventie Alken <wabp@alken.be>'"
    )
    mail_retry_seconds: float = Field(
        default=60, gt=0, description="first retry after this; doubled for each further one"
    )
    mail_max_attempts: int = Field(
        default=12, ge=1, description="attempts before a message is given up as failed"
    )
    mail_poll_seconds: float = Field(
        default=30, gt=0, description="how often the service's sender looks for due messages"
    )
    retention_outbox_days: int = Field(
        default=30, ge=0, description="days an outbox entry (sent or not) is kept"
    )
    # Every instance follows the newest zone generation in the database: a query of one number.
    generation_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="how often an instance checks for a new generation"
    )

    # Host names the service answers to (service/hosts.py): with WABP_BASE_URL's host, the only
    # ones; neither set means loopback only. Comma-separated in the environment.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host names requests may use, e.g. wabp.alken.be,*.alken.be (comma-separated)",
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    @model_validator(mode="after")
    def _known_tiles(self) -> Settings:
        # Checked here so that a bad base map stops `wabp serve` with one line, before start-up.
        tiles_from_setting(self.tiles, self.tiles_attribution)
        return self

    @model_validator(mode="after")
    def _mail(self) -> Settings:
        if self.smtp_host and not self.mail_from:
            raise ValueError("WABP_SMTP_HOST needs WABP_MAIL_FROM (the sender address)")
        return self
