"""Which host names the service answers to, where its absolute links point, and whose forms it takes.

The ``Host`` header is the client's to choose. wabp never builds a link or a redirect from an
unchecked one: a request for a host outside ``allowed_hosts(settings)`` is refused (400, Starlette's
TrustedHostMiddleware), and absolute links use ``WABP_BASE_URL`` when it is set. The allowed hosts
are ``WABP_ALLOWED_HOSTS`` plus the base URL's host; with neither configured, only the loopback
names (a development machine), so a public deployment that forgot both fails at the first request
instead of reflecting whatever host it is sent.

``OriginCheck`` refuses a POST, PUT, PATCH or DELETE whose ``Origin`` (or, without one, whose
``Referer``) names another site, or is ``null`` (an opaque origin: a sandboxed frame, a page with
``no-referrer``). A request with neither header (curl, a script with a bearer token) passes: it
cannot carry a victim's cookies by accident, and the forms also need their CSRF token.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from service.settings import Settings

# Loopback names, and the name Starlette's TestClient sends.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def allowed_hosts(settings: Settings) -> list[str]:
    """Return the host names requests may name (``*.example.be`` patterns allowed)."""
    hosts = list(settings.allowed_hosts)
    if settings.base_url:
        base_host = urlsplit(settings.base_url).hostname
        if base_host:
            hosts.append(base_host)
    return hosts or list(LOCAL_HOSTS)


def public_base(request: Request) -> str:
    """Return the scheme and host absolute links use: the base URL, else the checked request host."""
    settings: Settings = request.app.state.settings
    if settings.base_url:
        return settings.base_url.rstrip("/")
    # Only reached with a host TrustedHostMiddleware let through.
    return f"{request.url.scheme}://{request.url.netloc}"


def public_url(request: Request, path: str) -> str:
    """Return the absolute address of ``path`` (which starts with ``/``) for links shown to people."""
    return f"{public_base(request)}{path}"


def _origin_of(headers: Headers) -> str | None:
    origin = headers.get("origin")
    if origin is not None:
        return origin
    referer = headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}"
    return None


class OriginCheck:
    """Refuse unsafe requests sent from another site (403), as described above."""

    def __init__(self, app: ASGIApp, base_url: str | None) -> None:
        self.app = app
        self.base_netloc = urlsplit(base_url).netloc if base_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the origin of an unsafe request against its own host and the base URL."""
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            origin = _origin_of(headers)
            if origin is not None:
                netloc = urlsplit(origin).netloc if origin != "null" else ""
                own = {headers.get("host"), self.base_netloc} - {None}
                if not netloc or netloc not in own:
                    await _refuse(send)
                    return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {
            "code": "cross_origin",
            "detail": "Dit formulier of verzoek kwam van een andere website en is geweigerd.",
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
