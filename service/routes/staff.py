"""What every staff page (``/beheer/...``) shares: the signed-in user, roles, rendering, errors.

Staff pages are server-rendered Dutch HTML like ``/aanmelden``: no script, forms that post
``application/x-www-form-urlencoded`` with a CSRF token (``service.csrf``), and a 303 redirect after
every change so that a reload never repeats it. The signed-in user comes from the session cookie
(``service.sessions``); a route asks for a role with ``PoliceStaff``, ``MunicipalityStaff`` or
``CoordinatorStaff``:

- nobody signed in: 303 to the sign-in form ``/beheer`` (which comes back here afterwards);
- the wrong role: the 403 page;
- another municipality's object: the domain's "unknown" error, shown as the 404 page.

Errors raised by the domain on a staff page are answered here as Dutch pages (``service.errors``
sends them here), not as the API's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import phonenumbers
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from service import csrf
from service.auth import AuthError, SigningKeyDep
from service.db import SessionDep
from service.routes.signup import SECURITY_HEADERS, page
from service.scope import staff_scope
from service.sessions import COOKIE, session_user
from service.tables import Role, User, utcnow
from zones.dataset import Dataset
from zones.errors import ForbiddenError

PREFIX = "/beheer"
# Where each role starts after signing in.
START = {
    "police": f"{PREFIX}/politie",
    "municipality": f"{PREFIX}/gemeente",
    "coordinator": f"{PREFIX}/groep",
}
ROLE_NAMES = {"police": "politie", "municipality": "gemeente", "coordinator": "coördinator"}
# The menu of each role: (path, label).
MENUS: dict[str, list[tuple[str, str]]] = {
    "police": [
        (f"{PREFIX}/politie", "Te beoordelen"),
        (f"{PREFIX}/politie/beslist", "Beslist"),
    ],
    "coordinator": [(f"{PREFIX}/groep", "Mijn groep"), ("/voorstel", "Grens voorstellen")],
    "municipality": [
        (f"{PREFIX}/gemeente", "Overzicht"),
        (f"{PREFIX}/gemeente/voorstellen", "Voorstellen"),
        (f"{PREFIX}/gemeente/generaties", "Geschiedenis"),
        (f"{PREFIX}/gemeente/audit", "Auditlog"),
        (f"{PREFIX}/gemeente/accounts", "Accounts"),
        (f"{PREFIX}/gemeente/publicatie", "Gepubliceerd"),
        (f"{PREFIX}/gemeente/regels", "Reglement"),
        ("/dekking", "Dekking"),
    ],
}
TITLES = {
    400: "Verzoek niet begrepen",
    401: "Niet aangemeld",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Niet toegelaten",
    409: "Niet meer mogelijk",
    413: "Te groot",
    422: "Niet aanvaard",
    429: "Even geduld",
}
# What a page says after a change; the redirect names it by code (?melding=...), never by text.
NOTICES = {
    "afgemeld": "U bent afgemeld.",
    "wachtwoord": "Uw wachtwoord is gewijzigd.",
    "goedgekeurd": "De aanmelding is goedgekeurd. De coördinator van de groep ziet het nieuwe lid.",
    "geweigerd": "De aanmelding is geweigerd. De aanvrager leest een neutraal bericht.",
    "groep": "De groep van de aanmelding is gekozen; u kunt ze nu beoordelen.",
    "toegevoegd": "Genoteerd: het lid zit in de WhatsApp-groep.",
    "verwijderd": "Genoteerd: het lid is uit de WhatsApp-groep verwijderd.",
    "gewist": "Genoteerd: het lid is verwijderd en zijn gegevens zijn gewist.",
    "voorstel-goedgekeurd": "Het voorstel is goedgekeurd; de nieuwe zones gelden nu.",
    "voorstel-afgewezen": "Het voorstel is afgewezen; de coördinator ziet uw reden.",
    "uitgeschakeld": "Het account is uitgeschakeld; het kan niet meer inloggen.",
    "ingeschakeld": "Het account is weer ingeschakeld.",
    "contact": "Het contact van de gemeente is gepubliceerd.",
    "regels": "De tekst is gepubliceerd; wie zich vanaf nu aanmeldt, aanvaardt deze versie.",
    "regels-ongewijzigd": "De tekst is dezelfde als de gepubliceerde versie; er is niets gewijzigd.",
    "groepscontact": "Het publieke contact van uw groep is aangepast.",
    "infobord-toegevoegd": "Het infobord is toegevoegd.",
    "infobord-verplaatst": "Het infobord is verplaatst.",
    "infobord-verwijderd": "Het infobord is verwijderd.",
    "meldingen": "Uw keuze is bewaard.",
    "uitgenodigd": "De uitnodiging is verstuurd: de eigenaar kiest zelf een wachtwoord via de link.",
    "resetlink": "De link om een nieuw wachtwoord te kiezen is verstuurd.",
    "resetlink-wacht": "Er ging net al een link naar dit account; probeer het over enkele minuten.",
}
MESSAGES = {
    403: "U hebt geen toegang tot deze pagina met dit account.",
    404: "Deze pagina bestaat niet, of wat u zoekt hoort niet bij uw gemeente of groep.",
    405: "Deze pagina kan zo niet worden opgevraagd.",
    500: "Er ging iets mis. Probeer het later opnieuw.",
}


class SignInRequired(Exception):
    """A staff page asked for by someone who is not signed in (answered with a 303 to /beheer)."""

    def __init__(self, back_to: str) -> None:
        self.back_to = back_to
        super().__init__("not signed in")


class StaffPageError(Exception):
    """A staff page that cannot be shown or a form that is refused; answered as a Dutch page."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.headers = dict(headers or {})
        super().__init__(message)


def is_staff_path(path: str) -> bool:
    """Tell whether a path is one of the staff pages (errors there are HTML, not JSON)."""
    return path == PREFIX or path.startswith(f"{PREFIX}/")


def safe_next(path: str | None) -> str | None:
    """Return a staff path to go back to after signing in, or None (no open redirect)."""
    if not path or len(path) > 300 or not path.startswith(f"{PREFIX}/") or "//" in path:
        return None
    if any(c in path for c in "\\\r\n"):
        return None
    return path


# --- who is signed in -----------------------------------------------------------------------------


def optional_staff_user(request: Request, session: SessionDep) -> User | None:
    """Return the user of the session cookie, or None when nobody (valid) is signed in."""
    try:
        return session_user(session, request.cookies.get(COOKIE))
    except AuthError:
        return None


def staff_user(request: Request, session: SessionDep) -> User:
    """Return the signed-in user, or send the browser to the sign-in form."""
    user = optional_staff_user(request, session)
    if user is None:
        raise SignInRequired(request.url.path)
    return user


SignedIn = Annotated[User, Depends(staff_user)]


def require_page_role(*roles: Role) -> Any:
    """Return a dependency that yields the signed-in user if their role is one of ``roles``."""

    def dependency(user: SignedIn) -> User:
        if user.role not in roles:
            raise StaffPageError(403, MESSAGES[403])
        return user

    return dependency


PoliceStaff = Annotated[User, Depends(require_page_role("police"))]
MunicipalityStaff = Annotated[User, Depends(require_page_role("municipality"))]
CoordinatorStaff = Annotated[User, Depends(require_page_role("coordinator"))]


def scope_of(user: User, dataset: Dataset) -> frozenset[str]:
    """Return the municipalities a police or municipality account works for (403 page if none).

    One municipality, or every municipality of the account's police zone (`service.scope`).
    """
    try:
        return staff_scope(user, dataset).municipalities
    except ForbiddenError:
        raise StaffPageError(
            403,
            "Dit account hoort bij geen gemeente of politiezone van deze gegevens. "
            "Vraag de gemeente om het aan te passen.",
        ) from None


def own_municipality(user: User, dataset: Dataset) -> str:
    """Return the one municipality a municipality account works for (403 page if none)."""
    names = scope_of(user, dataset)
    if len(names) != 1:
        raise StaffPageError(403, MESSAGES[403])
    return next(iter(names))


# --- forms ------------------------------------------------------------------------------------------


def _refused(exc: csrf.CsrfError) -> StaffPageError:
    return StaffPageError(
        403, f"{exc} Laad de pagina opnieuw en probeer nog eens; er is niets gewijzigd."
    )


async def _checked_form(request: Request, key: SigningKeyDep) -> FormData:
    try:
        await csrf.check(request, key)
    except csrf.CsrfError as exc:
        raise _refused(exc) from None
    return await request.form()


def staff_form(form: Annotated[FormData, Depends(_checked_form)], session: SessionDep) -> FormData:
    """Return a posted staff form once its CSRF token is checked and used up (403 page otherwise)."""
    token = form.get(csrf.FIELD)
    assert isinstance(token, str)  # checked above
    try:
        csrf.consume(session, token)
    except csrf.CsrfError as exc:
        raise _refused(exc) from None
    return form


StaffForm = Annotated[FormData, Depends(staff_form)]


def field(form: FormData, name: str, max_length: int = 2000) -> str:
    """Return a text field of a posted form, trimmed ('' when missing); too long is a 422 page."""
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > max_length:
        raise StaffPageError(422, f"Een veld is te lang: hoogstens {max_length} tekens.")
    return text


# --- rendering --------------------------------------------------------------------------------------


def staff_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    user: User | None,
    key: bytes,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a staff page with the menu of the user's role and a CSRF token for its forms."""
    token = csrf.token_for(request, key)
    dataset = request.app.state.wabp.current.dataset
    full = {
        "user_zone_name": zone_name(dataset, user.zone_id) if user else None,
        "user": user,
        "role_name": ROLE_NAMES.get(user.role, user.role) if user else None,
        "menu": MENUS.get(user.role, []) if user else [],
        "current_path": request.url.path,
        "csrf_token": token,
        "notice": NOTICES.get(request.query_params.get("melding", "")),
        **context,
    }
    response = page(request, template, full, status_code=status_code)
    csrf.set_cookie(response, request, token)
    return response


def done(path: str, notice: str | None = None) -> RedirectResponse:
    """Go to a staff page after a change (303: a reload does not post again), with a notice code."""
    url = f"{path}?melding={quote(notice)}" if notice else path
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, message: str | None = None) -> HTMLResponse:
    """Render the Dutch staff error page for a status."""
    key: bytes = request.app.state.signing_key
    context = {
        "title": TITLES.get(status, "Er ging iets mis"),
        "heading": TITLES.get(status, "Er ging iets mis"),
        "message": message or MESSAGES.get(status, MESSAGES[500]),
    }
    return staff_page(request, "beheer/fout.html", context, user=None, key=key, status_code=status)


async def staff_page_error(request: Request, exc: Exception) -> Response:
    """Answer a StaffPageError with the Dutch error page (registered in ``service.errors``)."""
    assert isinstance(exc, StaffPageError)
    response = error_page(request, exc.status, str(exc))
    response.headers.update(exc.headers)
    return response


async def sign_in_required(request: Request, exc: Exception) -> Response:
    """Send someone who is not signed in to the sign-in form, which brings them back afterwards."""
    assert isinstance(exc, SignInRequired)
    back = safe_next(exc.back_to)
    url = f"{PREFIX}?volgende={quote(back)}" if back else PREFIX
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def zone_name(dataset: Dataset, zone_id: str | None) -> str | None:
    """Return a zone's group name; a zone retired since keeps its id."""
    if zone_id is None:
        return None
    return dataset.zones.get(zone_id).name if zone_id in dataset.zones else zone_id


def days_since(moment: datetime, now: datetime | None = None) -> int:
    """Return the whole days from a moment until now."""
    return max(0, ((now or utcnow()) - moment).days)


def phone_display(e164: str) -> str:
    """Write a stored E.164 number as people dial it: national for Belgium, else international."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 32
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
