"""Staff choose a password through a mailed link: ``/beheer/wachtwoord/{token}``, and ask for one.

| page | what |
|---|---|
| ``GET /beheer/wachtwoord/{token}`` | the form to choose a password (an invitation or a reset link) |
| ``POST /beheer/wachtwoord/{token}`` | set it; the link then stops working |
| ``GET/POST /beheer/wachtwoord-vergeten`` | ask for a reset link by e-mail address |

Server-rendered Dutch pages without scripts, CSRF-protected like the registration form, sharing
its layout, security headers (``Referrer-Policy: no-referrer``: the token is in the path) and
``no-store``. The answer to a reset request never tells whether the address has an account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from service import account_links, csrf
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.routes.signup import PostedForm, page
from service.users import MAX_PASSWORD, MIN_PASSWORD, UserError

router = APIRouter(include_in_schema=False)
TokenPath = Annotated[str, PathParam(max_length=100)]
SIGN_IN = "/beheer"
FORGOT = "/beheer/wachtwoord-vergeten"
HEADINGS = {"invite": "Kies uw wachtwoord", "reset": "Kies een nieuw wachtwoord"}
TOO_SHORT = f"Kies een wachtwoord van minstens {MIN_PASSWORD} tekens."
SENT = (
    "Als er een account bestaat voor dit adres, krijgt u binnen enkele minuten een e-mail met een "
    "link om een nieuw wachtwoord te kiezen. De link werkt één uur."
)


def _form(
    request: Request,
    key: bytes,
    token: str,
    purpose: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    csrf_token = csrf.token_for(request, key)
    context = {
        "title": HEADINGS[purpose],
        "heading": HEADINGS[purpose],
        "purpose": purpose,
        "action": request.url_for("set_password_page", token=token).path,
        "errors": errors or {},
        "values": {},
        "csrf_token": csrf_token,
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    response = page(request, "wachtwoord.html", context, status_code=status_code)
    csrf.set_cookie(response, request, csrf_token)
    return response


def _dead_link(request: Request, message: str) -> HTMLResponse:
    context = {
        "title": "Link werkt niet",
        "heading": "Deze link werkt niet (meer)",
        "message": f"{message} Vraag een nieuwe link aan.",
        "link": (FORGOT, "Een nieuwe link aanvragen"),
    }
    return page(request, "fout.html", context, status_code=404)


@router.get("/beheer/wachtwoord/{token}", response_class=HTMLResponse)
def set_password_page(
    request: Request, token: TokenPath, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Show the form to choose a password, if the link still works."""
    try:
        link, _ = account_links.check(session, token)
    except account_links.AccountLinkError as exc:
        return _dead_link(request, str(exc))
    return _form(request, key, token, link.purpose)


@router.post("/beheer/wachtwoord/{token}", response_class=HTMLResponse)
def set_password(
    request: Request, token: TokenPath, form: PostedForm, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Set the password; the link is used up (errors keep the form, never the passwords)."""
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    try:
        link, _ = account_links.check(session, token)
    except account_links.AccountLinkError as exc:
        return _dead_link(request, str(exc))
    purpose = link.purpose
    if password != again:
        errors = {"password_again": "De twee wachtwoorden zijn niet gelijk. Typ ze opnieuw."}
        return _form(request, key, token, purpose, errors, 422)
    try:
        account_links.set_password(session, token, password)
    except UserError:
        session.rollback()
        return _form(request, key, token, purpose, {"password": TOO_SHORT}, 422)
    except account_links.AccountLinkError as exc:
        session.rollback()
        return _dead_link(request, str(exc))
    session.commit()  # before answering: "ingesteld" means stored
    context = {
        "title": "Wachtwoord ingesteld",
        "heading": "Uw wachtwoord is ingesteld",
        "message": "U kunt nu aanmelden met uw e-mailadres en dit wachtwoord.",
        "link": (SIGN_IN, "Naar aanmelden"),
    }
    return page(request, "fout.html", context)


@router.get("/beheer/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot_password_page(request: Request, key: SigningKeyDep) -> HTMLResponse:
    """Show the form to ask for a reset link."""
    csrf_token = csrf.token_for(request, key)
    context = {
        "title": "Wachtwoord vergeten",
        "heading": "Wachtwoord vergeten",
        "csrf_token": csrf_token,
        "action": FORGOT,
        "errors": {},
        "values": {},
    }
    response = page(request, "wachtwoord_vergeten.html", context)
    csrf.set_cookie(response, request, csrf_token)
    return response


@router.post("/beheer/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot_password(request: Request, form: PostedForm, session: SessionDep) -> HTMLResponse:
    """Mail a reset link if the address has an account; the answer is the same either way."""
    account_links.request_reset(session, str(form.get("email", ""))[:254])
    session.commit()
    context = {
        "title": "Wachtwoord vergeten",
        "heading": "Kijk in uw mailbox",
        "message": SENT,
        "link": None,
    }
    return page(request, "fout.html", context)
