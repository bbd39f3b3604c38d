"""Limits on the public registration endpoints: requests per client address, and body size.

The limiter is in memory and per process (enough for one uvicorn worker; several workers would each
count on their own). The client address is the socket's peer: behind a reverse proxy, run uvicorn
with ``--proxy-headers --forwarded-allow-ips`` so that it is the resident's, not the proxy's.

Use from a route (JSON or HTML form)::

    @router.post("/...", dependencies=[RegistrationLimit])
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Depends, Request

MAX_KEYS = 10_000


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


class SlidingWindowLimiter:
    """Allow at most ``limit`` hits per key in any ``window`` seconds (one process, thread-safe)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def hit(self, key: str) -> None:
        """Count one request for ``key``; raise RateLimitedError when the limit is reached."""
        now = self._clock()
        with self._lock:
            if len(self._hits) > MAX_KEYS:  # bound the memory a flood of addresses can take
                self._hits = {k: h for k, h in self._hits.items() if self._recent(k, now)}
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                self._hits[key] = hits
                raise RateLimitedError(max(1, math.ceil(hits[0] + self.window - now)))
            hits.append(now)
            self._hits[key] = hits

    def reset(self) -> None:
        """Forget every count (tests, or an operator after an incident)."""
        with self._lock:
            self._hits.clear()


def client_key(request: Request) -> str:
    """Return the key a request is counted under: the client's address."""
    return request.client.host if request.client else "unknown"


def get_registration_limiter(request: Request) -> SlidingWindowLimiter:
    """Return the app's limiter for public registrations (made on first use from the settings)."""
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "registration_limiter", None)
    if limiter is None:
        settings = state.settings
        limiter = SlidingWindowLimiter(
            settings.registration_rate_limit, settings.registration_rate_window
        )
        state.registration_limiter = limiter
    return limiter


async def limit_registrations(request: Request) -> None:
    """Refuse a body over the registration size limit (413), then count the request (429)."""
    max_bytes: int = request.app.state.settings.registration_max_body_bytes
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > max_bytes):
        raise PayloadTooLargeError(f"een aanmelding is hoogstens {max_bytes} bytes groot")
    # Chunked bodies have no length: read (Starlette caches it for the route) and measure.
    if len(await request.body()) > max_bytes:
        raise PayloadTooLargeError(f"een aanmelding is hoogstens {max_bytes} bytes groot")
    get_registration_limiter(request).hit(client_key(request))


RegistrationLimit = Depends(limit_registrations)
