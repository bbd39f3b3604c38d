"""Staff sign-in and roles: Argon2 passwords, signed bearer tokens and role/zone checks.

Errors (``service.errors`` maps them to status codes)::

    AuthError                   401 not_authenticated (token missing, invalid, expired; inactive user)
     └── InvalidCredentialsError  401 invalid_credentials (wrong e-mail or password)
    TooManyAttemptsError        429 too_many_attempts (failed-login limit reached; see LoginLimiter)
    ForbiddenError              403 forbidden (wrong role, another zone)

Routes use the dependencies: ``CurrentUser``, ``require_role("police")`` and, for object-level
checks, ``ensure_zone_access(user, zone_id)``.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from pwdlib import PasswordHash
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import SessionDep
from service.limits import Window
from service.settings import Settings
from service.tables import AuditEvent, Role, User
from zones.errors import ForbiddenError
from zones.schema import ZoneSet

ALGORITHM = "HS256"
SECRET_FILE = ".wabp-secret"
BEARER = {"WWW-Authenticate": "Bearer"}


class AuthError(Exception):
    """The caller is not signed in: no token, or a token that is invalid or expired."""

    headers = BEARER


class InvalidCredentialsError(AuthError):
    """Wrong e-mail address or password (the message never says which)."""


class TooManyAttemptsError(Exception):
    """Too many failed sign-ins for this account, or from this address; try again later."""

    def __init__(self, retry_after: int, what: str = "for this account") -> None:
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(
            f"too many failed sign-ins {what}: try again in {retry_after // 60 + 1} minutes"
        )


class UserPublic(BaseModel):
    """A staff user as the API shows it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    zone_id: str | None
    # The scope of a police or municipality account (`service.scope`).
    municipality: str | None = None
    police_zone: str | None = None


# --- passwords ---------------------------------------------------------------------------------


@cache
def password_hasher() -> PasswordHash:
    """Return the Argon2 hasher (built on first use, not at import)."""
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    """Return the Argon2 hash of a password."""
    return password_hasher().hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the active user with this e-mail and password, or raise InvalidCredentialsError."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        # Verify anyway, so the answer takes as long whether or not the address has an account.
        password_hasher().verify(password, _dummy_hash())
        raise InvalidCredentialsError("wrong e-mail address or password")
    ok, new_hash = password_hasher().verify_and_update(password, user.password_hash)
    if not ok or not user.active:
        raise InvalidCredentialsError("wrong e-mail address or password")
    if new_hash is not None:  # the recommended parameters changed since this hash was made
        user.password_hash = new_hash
    return user


# The window of failed sign-ins per account (the per-address one is a setting).
LOGIN_WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    """Failed sign-ins, counted in the database so that every instance shares them.

    Three windows (15 minutes by default):

    - per account and address (10): guessing one account's password from one place stops soon,
      while its owner elsewhere can still sign in;
    - per account, from every address together (20): spreading the guesses over many addresses
      (5 addresses x 10 guesses) locks the account too; its owner is told once, by mail
      (``notify_account_locked``);
    - per address (30): trying many accounts from one place (each try costs an Argon2 hash) stops.

    A successful sign-in forgets the failures of that account from that address only: one known
    password must not reset the guessing of others, nor the lock of an account.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        max_failures: int = 10,
        account_max_failures: int = 20,
        window_seconds: float = LOGIN_WINDOW_SECONDS,
        client_max_failures: int = 30,
        client_window_seconds: float = 15 * 60,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.secret = secret
        self.here = Window("login:account+client", max_failures, window_seconds)
        self.account = Window("login:account", account_max_failures, window_seconds)
        self.client = Window("login:client", client_max_failures, client_window_seconds)
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, secret: bytes) -> LoginLimiter:
        """Return a limiter with the limits of the settings."""
        return cls(
            secret,
            account_max_failures=settings.login_account_limit,
            client_max_failures=settings.login_client_limit,
            client_window_seconds=settings.login_client_window,
        )

    def _keys(self, username: str, client: str) -> tuple[str, str, str]:
        account = username.strip().lower()
        return (
            self.here.key(self.secret, account, client),
            self.account.key(self.secret, account),
            self.client.key(self.secret, client),
        )

    def check(self, session: Session, username: str, client: str) -> None:
        """Raise TooManyAttemptsError when this address, the account, or both are at a limit."""
        now = self._clock()
        here, account, address = self._keys(username, client)
        for window, key, what in (
            (self.client, address, "from this address"),
            (self.account, account, "for this account: it is locked for a while"),
            (self.here, here, "for this account"),
        ):
            retry = window.retry_after(session, key, now)
            if retry is not None:
                raise TooManyAttemptsError(retry, what)

    def failed(self, session: Session, username: str, client: str) -> None:
        """Record one failed sign-in; tell the owner when this failure locks the account."""
        now = self._clock()
        here, account, address = self._keys(username, client)
        self.here.record(session, here, now)
        self.client.record(session, address, now)
        self.account.record(session, account, now)
        if self.account.count(session, account, now) == self.account.limit:
            user = session.scalar(select(User).where(User.email == username.strip().lower()))
            if user is not None:
                minutes = math.ceil(self.account.seconds / 60)
                notify_account_locked(session, user, now, minutes)

    def succeeded(self, session: Session, username: str, client: str) -> None:
        """Forget the failures of this account from this address."""
        here, _, _ = self._keys(username, client)
        self.here.forget(session, here)


def notify_account_locked(session: Session, user: User, at: datetime, minutes: int) -> None:
    """Tell the owner of ``user`` that failed sign-ins locked their account (once per lock).

    In the transaction of the failure that locked it: a mail in the outbox (``service.mail``;
    sent when SMTP is configured), and an audit event (ids only, no e-mail address) that the
    municipality reads.
    """
    from service.mail import notices  # the mail package is heavier than sign-in needs

    notices.account_locked(session, user.id, minutes)
    session.add(
        AuditEvent(
            at=at,
            actor_id=None,
            action="user.locked",
            object_type="user",
            object_id=user.id,
            detail="failed sign-ins from several addresses",
            municipality=user.municipality,
        )
    )


# --- tokens ------------------------------------------------------------------------------------


def load_signing_key(settings: Settings) -> bytes:
    """Return the token signing key: the configured one, or the one stored in the data directory."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return _stored_secret(settings.data_dir / SECRET_FILE)


def _stored_secret(path: Path) -> bytes:
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
                f.flush()
                os.fsync(f.fileno())
            # link() fails if the file exists: of two processes starting at once, one key wins.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) < 32:
        raise OSError(f"{path} holds fewer than 32 bytes: delete it to generate a new key")
    return key


def create_access_token(user: User, key: bytes, minutes: int) -> str:
    """Return a signed token naming the user (id and role only: no personal data)."""
    now = datetime.now(UTC)
    claims = {
        "sub": user.id,
        "role": user.role,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def token_subject(token: str, key: bytes) -> str:
    """Return the user id of a valid token; raise AuthError if it is invalid or expired."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired: sign in again") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid token") from None
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise AuthError("invalid token")
    return subject


# --- dependencies ------------------------------------------------------------------------------

# auto_error=False: a missing token raises our AuthError, so the body keeps the {code, detail} shape.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_signing_key(request: Request) -> bytes:
    """Return the signing key loaded at start-up."""
    key: bytes = request.app.state.signing_key
    return key


def get_login_limiter(request: Request) -> LoginLimiter:
    """Return the app's failed-login counter."""
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


SigningKeyDep = Annotated[bytes, Depends(get_signing_key)]
LoginLimiterDep = Annotated[LoginLimiter, Depends(get_login_limiter)]


def get_current_user(
    token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep, key: SigningKeyDep
) -> User:
    """Return the signed-in, active user of the bearer token; raise AuthError otherwise."""
    if not token:
        raise AuthError("not signed in")
    user = session.get(User, token_subject(token, key))
    if user is None or not user.active:
        raise AuthError("account unknown or disabled")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    """Return a dependency that yields the current user if their role is one of ``roles``."""

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise ForbiddenError(f"this needs the role {' or '.join(roles)}")
        return user

    dependency.__name__ = f"require_{'_or_'.join(roles)}"
    return dependency


CoordinatorUser = Annotated[User, Depends(require_role("coordinator"))]
PoliceUser = Annotated[User, Depends(require_role("police"))]
MunicipalityUser = Annotated[User, Depends(require_role("municipality"))]


def _active(zones: ZoneSet, zone_id: str) -> bool:
    return zone_id in zones and zones.get(zone_id).props.status == "active"


def ensure_zone_access(user: User, zone_id: str | None, zones: ZoneSet | None = None) -> None:
    """Raise ForbiddenError when a coordinator touches a zone other than their own.

    Police and municipality staff may act on every zone of the dataset. With `zones` (the current
    ones), a coordinator whose zone was retired has no rights left: the group no longer exists.
    """
    if user.role != "coordinator":
        return
    if zone_id != user.zone_id:
        raise ForbiddenError("a coordinator may only act on their own zone")
    if zones is not None and zone_id is not None and not _active(zones, zone_id):
        raise ForbiddenError(
            "deze zone is opgeheven: de coördinator ervan heeft geen rechten meer op de groep"
        )
