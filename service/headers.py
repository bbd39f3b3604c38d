"""Security headers on every response, unless the route already chose its own.

Every response gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Referrer-Policy: same-origin``; over https also ``Strict-Transport-Security`` (a browser that once reached the
service over https never again tries plain http; a TLS proxy's scheme is the request's when
uvicorn trusts it: ``wabp serve --forwarded-allow-ips PROXY``, 127.0.0.1 by default).

An HTML response without a Content-Security-Policy of its own (the public map, the comparison map,
the coverage page: folium pages full of inline scripts) gets ``page_csp(nonce)``: scripts run only
from this origin or with the response's nonce. The nonce is new for every response and written
into each of its ``<script`` tags here, so the map code in ``maps/`` needs to know nothing of it,
and an injected ``<script>`` (markup that is not ours) does not run. Pages with a stricter policy
set it themselves (the registration pages run no script at all, ``/voorstel`` only files).

One exception keeps the comparison map working: its shell page fetches the map with a bearer token
and writes it into itself, so the map's scripts run under the *shell's* policy. The shell sends
its own nonce in ``X-CSP-Nonce`` and the map is answered with that nonce. A nonce chosen by the
client is safe there: a cross-origin page cannot send that header without CORS, which wabp does
not allow, and a navigation cannot send it at all.
"""

from __future__ import annotations

import base64
import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
# FastAPI's API documentation loads Swagger UI from a CDN: it keeps the minimal policy (staff9
# decides whether /docs is served offline or not at all).
MINIMAL_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
MINIMAL_CSP_PATHS = ("/docs", "/redoc")
NONCE_HEADER = "x-csp-nonce"
_NONCE = re.compile(r"[A-Za-z0-9+/_-]{16,64}={0,2}")
_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)


def page_csp(nonce: str) -> str:
    """Return the policy of an HTML page whose scripts carry ``nonce``.

    Styles stay 'unsafe-inline' (Leaflet positions its panes with style attributes); images may
    come from any https host, because the base-map tiles are a setting.
    """
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def add_nonce(html: bytes, nonce: str) -> bytes:
    """Return ``html`` with ``nonce`` on each of its ``<script>`` tags."""
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), html)


def _nonce_for(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == NONCE_HEADER.encode():
            text: str = value.decode("latin-1")
            if _NONCE.fullmatch(text):
                return text
    return base64.b64encode(secrets.token_bytes(18)).decode()


class SecurityHeaders:
    """Add the headers above to each HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the missing headers, and a nonce policy to HTML pages."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        minimal = scope.get("path", "").startswith(MINIMAL_CSP_PATHS)
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # optional in ASGI
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                html = headers.get("content-type", "").startswith("text/html")
                if html and minimal:
                    headers.setdefault("Content-Security-Policy", MINIMAL_CSP)
                elif html and "content-security-policy" not in headers:
                    start = message  # held back until the whole page is there to be given nonces
                    return
                await send(message)
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                nonce = _nonce_for(scope)
                page = add_nonce(b"".join(body), nonce)
                headers = MutableHeaders(scope=start)
                headers["Content-Security-Policy"] = page_csp(nonce)
                headers["Content-Length"] = str(len(page))
                await send(start)
                await send({"type": "http.response.body", "body": page})
            else:
                await send(message)

        await self.app(scope, receive, send_with_headers)
