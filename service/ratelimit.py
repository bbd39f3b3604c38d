"""Limits on the public registration endpoints: requests per client address, and body size.

The count per client address lives in the database (`service.limits`): every worker process and
every instance on the same database sees the same count, so ``wabp serve --workers N`` or two
hosts do not multiply the limit. The client address is the socket's peer, an IPv6 one counted by
its /64 (`client_key`): behind a reverse proxy on another host, run ``wabp serve
--forwarded-allow-ips PROXY`` so that it is the resident's, not the proxy's. Only a keyed hash of the
address is stored, and only as long as the window lasts.

Use from a JSON route::

    @router.post("/...", dependencies=[RegistrationLimit])

A form route calls `limit_body` and `count_registration` itself, to answer with a Dutch page.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.db import SessionDep
from service.limits import Window


class RateLimitedError(Exception):
    """Too many requests from this client address; ``headers`` carries Retry-After."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(
            f"Te veel aanvragen vanaf dit adres. Probeer het over {math.ceil(retry_after / 60)} "
            "minuten opnieuw."
        )


class PayloadTooLargeError(Exception):
    """A request body larger than the endpoint accepts."""


class RegistrationLimiter:
    """At most ``limit`` registration attempts per client address in any ``seconds``.

    Every attempt counts, a refused one too: the limit is there to stop a flood, not to ration
    applications. The check and the count are one transaction, serialised per address (see
    `Window.serialise`), so simultaneous requests cannot slip past the limit together.
    """

    def __init__(
        self,
        secret: bytes,
        limit: int,
        seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.secret = secret
        self.window = Window("registration:client", limit, seconds)
        self._clock = clock

    def hit(self, session: Session, client: str) -> None:
        """Count one attempt from ``client`` and commit it; raise RateLimitedError at the limit."""
        now = self._clock()
        key = self.window.key(self.secret, client)
        self.window.serialise(session, key)
        retry = self.window.retry_after(session, key, now)
        if retry is not None:
            session.rollback()
            raise RateLimitedError(retry)
        self.window.record(session, key, now)
        session.commit()


def client_key(request: Request) -> str:
    """Return what a request is counted under: its IPv4 address, or its IPv6 address's /64.

    One home or phone holds a whole IPv6 /64 and picks new addresses in it at will (privacy
    addresses): counted per address, one client would have billions of counts. The registration
    limit and the sign-in limits all count by this key.
    """
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client, a Unix socket): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def get_registration_limiter(request: Request) -> RegistrationLimiter:
    """Return the app's limiter for public registrations (made on first use from the settings)."""
    state = request.app.state
    limiter: RegistrationLimiter | None = getattr(state, "registration_limiter", None)
    if limiter is None:
        settings = state.settings
        limiter = RegistrationLimiter(
            state.signing_key, settings.registration_rate_limit, settings.registration_rate_window
        )
        state.registration_limiter = limiter
    return limiter


async def limit_body(request: Request) -> None:
    """Refuse a body over the registration size limit (413) before anything reads it as data."""
    max_bytes: int = request.app.state.settings.registration_max_body_bytes
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > max_bytes):
        raise PayloadTooLargeError(f"een aanmelding is hoogstens {max_bytes} bytes groot")
    # Chunked bodies have no length: read (Starlette caches it for the route) and measure.
    if len(await request.body()) > max_bytes:
        raise PayloadTooLargeError(f"een aanmelding is hoogstens {max_bytes} bytes groot")


def count_registration(request: Request, session: SessionDep) -> None:
    """Count one registration attempt of the client's address (429 at the limit).

    A plain function: FastAPI runs it in a worker thread, as the database call needs. The session
    is the request's own (FastAPI gives a route and its dependencies one per request).
    """
    get_registration_limiter(request).hit(session, client_key(request))


RegistrationLimit = [Depends(limit_body), Depends(count_registration)]
