"""CSRF protection of the HTML forms: tokens bound to the browser's session, each good for one post.

The cookie ``wabp_csrf`` holds the browser's session binding: a random value, ``HttpOnly`` and
``SameSite=Strict``, made when the first form is shown. Each form gets its own token in a hidden
field, ``issued.nonce.signature``, where the signature is an HMAC-SHA256 (with the app's signing
key) of the binding, the time and the nonce. A post passes only when

1. its token is correctly signed *for the binding in its cookie* (a token taken from another
   browser, or a value planted in the cookie by a sibling subdomain, fails),
2. it is not older than ``MAX_AGE``, and
3. it was never used before: ``consume`` stores a hash of its nonce in ``used_csrf_tokens`` in
   the database (shared by every instance), and a second post with it is refused, also when two
   arrive at once (the nonce is the table's primary key).

A page that shows a form again (with errors) gives it a new token; several tabs each have their
own. ``service.hosts.OriginCheck`` refuses posts from another site before any of this runs. The
JSON API needs none of it: it takes no cookies.

A page with a form::

    token = csrf.token_for(request, key)          # a new token bound to this browser
    response = render(..., csrf_token=token)      # <input type="hidden" name="csrf_token" ...>
    csrf.set_cookie(response, request, token)     # the binding, if the browser had none yet

and the POST route depends on ``CsrfProtected`` (checks and consumes, 403 on failure), or calls
``check`` and ``consume`` itself. Where a staff member is signed in (the ``wabp_session`` cookie of
``/beheer``), tokens are bound to that session instead of the browser cookie: signing out, or a
session that ends, leaves every open form of it without force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import SigningKeyDep
from service.db import SessionDep
from service.sessions import COOKIE as STAFF_SESSION_COOKIE
from service.tables import UsedCsrfToken

COOKIE = "wabp_csrf"
FIELD = "csrf_token"
MAX_AGE = 12 * 60 * 60  # a form left open for an afternoon still submits
_PURPOSE = b"wabp-csrf:"  # the key also signs bearer tokens: keep the two signatures apart
_BINDING_STATE = "wabp_csrf_binding"  # request.state: the binding token_for chose


class CsrfError(Exception):
    """A form was posted without a valid CSRF token (expired, used, or sent from another site)."""


def _sign(key: bytes, binding: str, payload: str) -> str:
    message = _PURPOSE + binding.encode() + b"|" + payload.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_binding() -> str:
    """Return a new random session binding for a browser's cookie."""
    return secrets.token_urlsafe(24)


def new_token(key: bytes, binding: str, now: float | None = None) -> str:
    """Return a fresh token bound to ``binding``."""
    payload = f"{int(time.time() if now is None else now)}.{secrets.token_urlsafe(24)}"
    return f"{payload}.{_sign(key, binding, payload)}"


def is_valid(key: bytes, token: str | None, binding: str | None, now: float | None = None) -> bool:
    """Tell whether a token is signed for ``binding`` and not older than MAX_AGE (used or not)."""
    parts = (token or "").split(".")
    if not binding or len(parts) != 3 or not parts[0].isdigit():
        return False
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _sign(key, binding, payload)):
        return False
    age = (time.time() if now is None else now) - int(parts[0])
    return -60 <= age <= MAX_AGE


def verify(key: bytes, binding: str | None, submitted: str | None) -> None:
    """Raise CsrfError unless ``submitted`` is a valid token for ``binding`` (not checking reuse)."""
    if not binding or not submitted:
        raise CsrfError("Het formulier kwam niet van deze website of de cookie ontbreekt.")
    if not is_valid(key, submitted, binding):
        raise CsrfError("Het formulier is verlopen of ongeldig.")


def consume(session: Session, token: str, now: datetime | None = None) -> None:
    """Mark a verified token used and commit; raise CsrfError if it was used before."""
    now = now or datetime.now(UTC)
    issued, nonce, _ = token.split(".")
    expires = datetime.fromtimestamp(int(issued) + MAX_AGE + 60, UTC)
    # Tokens past their age are refused by verify() anyway: their rows can go.
    session.execute(delete(UsedCsrfToken).where(UsedCsrfToken.expires_at < now))
    session.add(
        UsedCsrfToken(nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(), expires_at=expires)
    )
    try:
        session.commit()  # now, not with the route's work: a form shown again needs no write
    except IntegrityError:
        session.rollback()
        raise CsrfError("Dit formulier werd al verstuurd.") from None


def binding_of(request: Request) -> str | None:
    """Return what the request's tokens are bound to: the staff session, or the browser's cookie."""
    staff = request.cookies.get(STAFF_SESSION_COOKIE)
    if staff:
        # A hash: the token must not carry (or let anyone derive) the session's cookie.
        return "staff:" + hashlib.sha256(staff.encode()).hexdigest()
    browser = request.cookies.get(COOKIE)
    return browser if browser and len(browser) <= 100 else None


def _binding(request: Request) -> str:
    current = binding_of(request)
    if current is None:
        current = new_binding()
        setattr(request.state, _BINDING_STATE, current)  # set_cookie stores it
    return current


def token_for(request: Request, key: bytes) -> str:
    """Return a new token bound to the browser's cookie (made if it has none: see set_cookie)."""
    return new_token(key, _binding(request))


def set_cookie(response: Response, request: Request, token: str) -> None:
    """Store the browser's binding in the strict, script-proof cookie the next POST is checked with."""
    binding = getattr(request.state, _BINDING_STATE, None) or request.cookies.get(COOKIE)
    if binding is None or len(binding) > 100:
        return  # bound to a staff session: no browser binding is needed
    response.set_cookie(
        COOKIE,
        binding,
        max_age=MAX_AGE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


async def check(request: Request, key: bytes) -> str:
    """Return the posted form's token once it is valid for the browser's binding (CsrfError)."""
    form = await request.form()  # Starlette caches the parsed form: the route reads it again
    submitted = form.get(FIELD)
    token = submitted if isinstance(submitted, str) else None
    verify(key, binding_of(request), token)
    assert token is not None
    return token


async def _checked(request: Request, key: SigningKeyDep) -> str:
    return await check(request, key)


def csrf_protect(token: Annotated[str, Depends(_checked)], session: SessionDep) -> None:
    """Check and consume the CSRF token of a posted form (a dependency of every HTML form POST)."""
    consume(session, token)


CsrfProtected = Annotated[None, Depends(csrf_protect)]
