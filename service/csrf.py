"""CSRF protection of the HTML forms: a signed double-submit cookie.

Showing a form sets the cookie ``wabp_csrf`` to ``issued.nonce.signature`` (HMAC-SHA256 of time and
nonce with the app's signing key) and puts the same value in a hidden field. A POST passes only when cookie and
field are both present, equal and correctly signed. ``SameSite=Strict`` already keeps the cookie off
requests started by another site; the signature means a value planted by a sibling subdomain (which
can set cookies, but not sign them) is refused too (OWASP CSRF cheat sheet, "signed double-submit
cookie"). The JSON API needs none of this: it takes no cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated

from fastapi import Depends, Request, Response

from service.auth import SigningKeyDep

COOKIE = "wabp_csrf"
FIELD = "csrf_token"
MAX_AGE = 12 * 60 * 60  # a form left open for an afternoon still submits
_PURPOSE = b"wabp-csrf:"  # the key also signs bearer tokens: keep the two signatures apart


class CsrfError(Exception):
    """A form was posted without a valid CSRF token (expired, or sent from another site)."""


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, _PURPOSE + payload.encode(), hashlib.sha256).hexdigest()


def new_token(key: bytes, now: float | None = None) -> str:
    """Return a fresh signed token."""
    payload = f"{int(time.time() if now is None else now)}.{secrets.token_urlsafe(24)}"
    return f"{payload}.{_sign(key, payload)}"


def _age(key: bytes, token: str | None, now: float) -> float | None:
    # The age of a correctly signed token, None for anything else.
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _sign(key, payload)):
        return None
    return now - int(parts[0])


def is_valid(key: bytes, token: str | None, now: float | None = None) -> bool:
    """Tell whether a token is correctly signed and not older than MAX_AGE."""
    age = _age(key, token, time.time() if now is None else now)
    return age is not None and -60 <= age <= MAX_AGE


def verify(key: bytes, cookie: str | None, submitted: str | None) -> None:
    """Raise CsrfError unless cookie and form field hold the same validly signed token."""
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CsrfError("Het formulier kwam niet van deze website of de cookie ontbreekt.")
    if not is_valid(key, cookie):
        raise CsrfError("Het formulier is verlopen of ongeldig.")


def token_for(request: Request, key: bytes) -> str:
    """Return the request's cookie token if it has an hour left, or a new one.

    Reusing it lets several open tabs submit; a fresh one would break the others.
    """
    current = request.cookies.get(COOKIE)
    if current is not None and is_valid(key, current, time.time() + 60 * 60):
        return current
    return new_token(key)


def set_cookie(response: Response, request: Request, token: str) -> None:
    """Store the token in the strict, script-proof cookie the next POST is checked against."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


async def csrf_protect(request: Request, key: SigningKeyDep) -> None:
    """Check the CSRF token of a posted form (a dependency of every HTML form POST)."""
    form = await request.form()  # Starlette caches the parsed form: the route reads it again
    submitted = form.get(FIELD)
    verify(key, request.cookies.get(COOKIE), submitted if isinstance(submitted, str) else None)


CsrfProtected = Annotated[None, Depends(csrf_protect)]
