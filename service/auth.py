"""Staff sign-in and roles: Argon2 passwords, signed bearer tokens and role/zone checks.

Errors (``service.errors`` maps them to status codes)::

    AuthError                   401 not_authenticated (token missing, invalid, expired; inactive user)
     └── InvalidCredentialsError  401 invalid_credentials (wrong e-mail or password)
    TooManyAttemptsError        429 too_many_attempts (failed-login limit reached)
    ForbiddenError              403 forbidden (wrong role, another zone)

Routes use the dependencies: ``CurrentUser``, ``require_role("police")`` and, for object-level
checks, ``ensure_zone_access(user, zone_id)``.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
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
from service.settings import Settings
from service.tables import Role, User
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


class LoginLimiter:
    """Count failed sign-ins in a sliding window (one process), per account and per address.

    Per account and address, so that guessing one account's password stops soon without locking
    its owner out from elsewhere; per address alone, so that trying many accounts (each try costs
    an Argon2 hash) stops too.
    """

    def __init__(
        self,
        max_failures: int = 10,
        window_seconds: float = 15 * 60,
        *,
        client_max_failures: int = 30,
        client_window_seconds: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.client_max_failures = client_max_failures
        self.client_window = client_window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._client_failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimiter:
        """Return a limiter with the per-address limit of the settings."""
        return cls(
            client_max_failures=settings.login_client_limit,
            client_window_seconds=settings.login_client_window,
        )

    @staticmethod
    def _recent(failures: dict[str, deque[float]], key: str, cutoff: float) -> deque[float]:
        times = failures.get(key, deque())
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    @staticmethod
    def _key(username: str, client: str) -> str:
        return f"{username.strip().lower()}|{client}"

    def check(self, username: str, client: str) -> None:
        """Raise TooManyAttemptsError when this address, or this account from it, is at its limit."""
        now = self._clock()
        with self._lock:
            times = self._recent(self._client_failures, client, now - self.client_window)
            if len(times) >= self.client_max_failures:
                retry = int(times[0] + self.client_window - now) + 1
                raise TooManyAttemptsError(retry, "from this address")
            times = self._recent(self._failures, self._key(username, client), now - self.window)
            if len(times) >= self.max_failures:
                raise TooManyAttemptsError(int(times[0] + self.window - now) + 1)

    def failed(self, username: str, client: str) -> None:
        """Record one failed sign-in, for the account and for the address."""
        now = self._clock()
        with self._lock:
            for failures, key, window in (
                (self._failures, self._key(username, client), self.window),
                (self._client_failures, client, self.client_window),
            ):
                if len(failures) > 10_000:  # bound the memory a flood of usernames can take
                    kept = {k: self._recent(failures, k, now - window) for k in list(failures)}
                    failures.clear()
                    failures.update({k: t for k, t in kept.items() if t})
                times = self._recent(failures, key, now - window)
                times.append(now)
                failures[key] = times

    def succeeded(self, username: str, client: str) -> None:
        """Forget the failures of an account and address after a successful sign-in."""
        # The address keeps its count: one known password must not reset the guessing of others.
        with self._lock:
            self._failures.pop(self._key(username, client), None)


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
