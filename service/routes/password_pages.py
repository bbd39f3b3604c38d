"""Staff choose a password through a mailed link: ``/beheer/wachtwoord/{token}``, and ask for one.

| page | what |
|---|---|
| ``GET /beheer/wachtwoord/{token}`` | the form to choose a password (an invitation or a reset link) |
| ``POST /beheer/wachtwoord/{token}`` | set it; the link then stops working |
| ``GET/POST /beheer/wachtwoord-vergeten`` | ask for a reset link by e-mail address |

Staff pages (``service.routes.staff``) for someone not signed in: server-rendered Dutch, no
scripts, CSRF-protected, the staff layout, security headers (``Referrer-Policy: same-origin``: the
token is in the path and goes to no other site) and ``no-store``. The answer to a reset request never tells whether the
address has an account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from service import account_links
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.routes.staff import PREFIX, StaffForm, staff_page
from service.users import MAX_PASSWORD, MIN_PASSWORD, UserError

router = APIRouter(include_in_schema=False)
TokenPath = Annotated[str, PathParam(max_length=100)]
SIGN_IN = PREFIX
FORGOT = f"{PREFIX}/wachtwoord-vergeten"
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
    context = {
        "title": HEADINGS[purpose],
        "heading": HEADINGS[purpose],
        "purpose": purpose,
        "action": request.url_for("set_password_page", token=token).path,
        "errors": errors or {},
        "values": {},
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    template = "beheer/wachtwoord_link.html"
    return staff_page(request, template, context, user=None, key=key, status_code=status_code)


def _message(
    request: Request,
    key: bytes,
    heading: str,
    message: str,
    link: tuple[str, str] | None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"title": heading, "heading": heading, "message": message, "link": link}
    return staff_page(
        request, "beheer/bericht.html", context, user=None, key=key, status_code=status_code
    )


def _dead_link(request: Request, key: bytes, message: str) -> HTMLResponse:
    link = (FORGOT, "Een nieuwe link aanvragen")
    heading = "Deze link werkt niet (meer)"
    return _message(request, key, heading, f"{message} Vraag een nieuwe link aan.", link, 404)


@router.get("/beheer/wachtwoord/{token}", response_class=HTMLResponse)
def set_password_page(
    request: Request, token: TokenPath, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Show the form to choose a password, if the link still works."""
    try:
        link, _ = account_links.check(session, token)
    except account_links.AccountLinkError as exc:
        return _dead_link(request, key, str(exc))
    return _form(request, key, token, link.purpose)


@router.post("/beheer/wachtwoord/{token}", response_class=HTMLResponse)
def set_password(
    request: Request, token: TokenPath, form: StaffForm, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Set the password; the link is used up (errors keep the form, never the passwords)."""
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    try:
        link, _ = account_links.check(session, token)
    except account_links.AccountLinkError as exc:
        return _dead_link(request, key, str(exc))
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
        return _dead_link(request, key, str(exc))
    session.commit()  # before answering: "ingesteld" means stored
    message = "U kunt nu inloggen met uw e-mailadres en dit wachtwoord."
    return _message(request, key, "Uw wachtwoord is ingesteld", message, (SIGN_IN, "Naar inloggen"))


@router.get("/beheer/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot_password_page(request: Request, key: SigningKeyDep) -> HTMLResponse:
    """Show the form to ask for a reset link."""
    context = {
        "title": "Wachtwoord vergeten",
        "heading": "Wachtwoord vergeten",
        "action": FORGOT,
        "errors": {},
        "values": {},
    }
    return staff_page(request, "beheer/wachtwoord_vergeten.html", context, user=None, key=key)


@router.post("/beheer/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot_password(
    request: Request, form: StaffForm, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Mail a reset link if the address has an account; the answer is the same either way."""
    account_links.request_reset(session, str(form.get("email", ""))[:254])
    session.commit()
    return _message(request, key, "Kijk in uw mailbox", SENT, None)
