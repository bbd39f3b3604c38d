"""Bounded admission to the database: a saturated service answers 503 quickly, lookups go on.

Every request that needs the database (the ``SessionDep`` routes) first takes one of ``limit``
slots, in the event loop, before it occupies a worker thread. ``limit`` is also the size of the
connection pool, so a request that holds a slot always gets a connection, and the worker threads
beyond ``limit`` stay free for the lookups, which need no database. A request that finds ``queue``
others already waiting, or that waits ``wait`` seconds without a slot, is refused with
``ServiceBusyError`` (503 with ``Retry-After``): it has changed nothing, so the client may simply
try again. Without the bound, 200 applications at once took every worker thread and every pooled
connection; requests failed after the pool's 30 s time-out and lookups waited behind them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from zones.errors import UnavailableError

RETRY_AFTER_SECONDS = 2


class ServiceBusyError(UnavailableError):
    """The service is saturated (or the database busy): nothing was stored, try again shortly."""

    code = "busy"

    def __init__(self, message: str = "", retry_after: int = RETRY_AFTER_SECONDS) -> None:
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(
            message or "De dienst is even te druk; er is niets bewaard. Probeer het zo opnieuw."
        )


class Admission:
    """At most ``limit`` requests use the database at once; at most ``queue`` wait for a turn."""

    def __init__(self, limit: int, queue: int, wait: float) -> None:
        self.limit = limit
        self.queue = queue
        self.wait = wait
        self._slots: anyio.Semaphore | None = None
        self._closing: anyio.CapacityLimiter | None = None
        self._waiting = 0

    def _semaphore(self) -> anyio.Semaphore:
        # Made on first use, inside the running event loop that will use it.
        if self._slots is None:
            self._slots = anyio.Semaphore(self.limit)
        return self._slots

    @property
    def closing(self) -> anyio.CapacityLimiter:
        """Return the worker-thread limiter for closing sessions: one per slot, never waited on."""
        if self._closing is None:
            self._closing = anyio.CapacityLimiter(self.limit)
        return self._closing

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; raise ServiceBusyError when none comes in time."""
        slots = self._semaphore()
        if slots.value == 0 and self._waiting >= self.queue:
            raise ServiceBusyError()
        self._waiting += 1
        try:
            with anyio.fail_after(self.wait):
                await slots.acquire()
        except TimeoutError:
            raise ServiceBusyError() from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            slots.release()
