"""Keeping residents' addresses and private links out of logs, and bodies within a sane size.

The access log of uvicorn writes the full request line; for the lookup and autocomplete endpoints
the query string *is* a resident's address, so it is dropped (pelias/pip-service does the same).
An applicant's private link carries a token in its path (``/aanmelding/{token}``): anyone reading
the log could use it, so the token is replaced by ``***``.
An unexpected error is logged by kind and place only (`log_failure`): the message of a database,
mail or parsing error can quote what a resident typed, an e-mail address or a statement's parameters.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_QUERY_PATHS = ("/api/lookup", "/api/streets")
PRIVATE_TOKEN_PREFIXES = ("/aanmelding/", "/api/aanmelding/", "/beheer/wachtwoord/")


def redact_path(path: str) -> str:
    """Return a request path fit for a log line: private tokens and private queries removed."""
    path, _, query = path.partition("?")
    for prefix in PRIVATE_TOKEN_PREFIXES:
        if path.startswith(prefix):
            _, slash, rest = path[len(prefix) :].partition("/")
            path = f"{prefix}***{slash}{rest}"
            break
    if query and not path.startswith(PRIVATE_QUERY_PATHS):
        return f"{path}?{query}"
    return path


def log_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """Log the exception being handled at ERROR with its kinds and frames, never its messages.

    Like ``logger.exception(message, *args)``, with what a person can act on (which kind of error,
    raised where, through which calls; the causes' kinds too) and without the messages, which may
    hold personal data. The frames show source lines, not the values of variables.
    """
    exc = sys.exc_info()[1]
    if exc is None:
        logger.error(message, *args)
        return
    kinds: list[str] = []
    frames: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # the error, then what caused it
        seen.add(id(current))
        kinds.append(type(current).__qualname__)
        frames.append("".join(traceback.format_tb(current.__traceback__)))
        current = current.__cause__ or current.__context__
    trace = "\n  caused by\n".join(reversed(frames))  # oldest first, as a traceback reads
    logger.error(f"{message}: %s\n%s", *args, " <- ".join(kinds), trace.rstrip())


class DropPrivateQueryStrings(logging.Filter):
    """Remove private query strings and tokens from the paths of uvicorn access-log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument; never drop the record itself."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def install_log_filter() -> None:
    """Attach the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropPrivateQueryStrings) for f in logger.filters):
        logger.addFilter(DropPrivateQueryStrings())


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 (neither FastAPI nor uvicorn limits them)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check Content-Length first, then count streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Normally the app's HTTPException handler answers; this covers a body read elsewhere.
            if started:
                raise
            await _too_large(send, self.max_bytes)


class BodyTooLarge(HTTPException):
    """A streamed body passed the limit: answered 413 by the app's HTTPException handler."""

    # An HTTPException, because FastAPI re-raises those from its body parsing as they are, where
    # any other error (this one, raised inside receive()) becomes a 400 "error parsing the body".
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _detail(max_bytes))


def _detail(max_bytes: int) -> str:
    return f"request body larger than {max_bytes} bytes"


async def _too_large(send: Send, max_bytes: int) -> None:
    # The body service.errors gives an HTTPException of 413: {"code": "body_too_large", ...}.
    error = {"code": "body_too_large", "detail": _detail(max_bytes)}
    body = json.dumps(error, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
