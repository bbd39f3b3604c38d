"""The registration form for residents (``/aanmelden``), and what every registration page shares.

Server-rendered Dutch pages that work without JavaScript: the form posts
``application/x-www-form-urlencoded``, errors come back next to their field with the values kept,
and a success redirects (303) to a confirmation page, so reloading it never files twice. The
applicant's private pages (``/aanmelding/{token}``) are in ``service.routes.applicant_pages``.

Every page gets a CSP without scripts, ``frame-ancestors 'none'`` and ``Referrer-Policy:
same-origin`` (the private token is in the URL and must not leak to another site; this site has
it anyway, and a same-origin referrer lets the browser send the ``Origin`` that
``service.hosts.OriginCheck`` checks, where ``no-referrer`` makes it ``null``); pages that hold
personal data are not cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.templating import Jinja2Templates

from maps.documents import document_html
from service import csrf
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import StateDep
from service.ratelimit import (
    PayloadTooLargeError,
    RateLimitedError,
    count_registration,
    limit_body,
)
from service.registrations import (
    MAX_ADDRESS,
    MAX_NAME,
    MAX_PHONE,
    AddressError,
    AmbiguousAddressError,
    NoGroupError,
    RegistrationIn,
    rules_for_address,
    submit,
)
from zones.errors import LookupInputError
from zones.lookup import MAX_QUERY_LENGTH
from zones.rules import GroupRules, RulesMissingError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

SECURITY_HEADERS = {
    # No script runs on these pages; forms post only here; nobody may frame them (clickjacking).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(include_in_schema=False)


@cache
def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),  # every value a resident typed is escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render one registration page with the security headers; never cached (personal data)."""
    dataset = request.app.state.wabp.current.dataset
    full = {"municipality": dataset.meta.name, **context}
    headers = {**SECURITY_HEADERS, **NO_STORE}
    return _templates().TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )


class PageError(Exception):
    """A registration page that cannot be shown; answered as a Dutch HTML page, not JSON."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.headers = dict(headers or {})
        super().__init__(message)


async def page_error(request: Request, exc: Exception) -> Response:
    """Answer a PageError with a Dutch page (registered in ``service.errors``)."""
    assert isinstance(exc, PageError)
    titles = {403: "Formulier niet aanvaard", 404: "Aanmelding niet gevonden"}
    context = {
        "title": titles.get(exc.status, "Aanmelden lukt nu niet"),
        "heading": titles.get(exc.status, "Aanmelden lukt nu niet"),
        "message": str(exc),
        "link": ("/aanmelden", "Naar het aanmeldformulier"),
    }
    response = page(request, "fout.html", context, status_code=exc.status)
    response.headers.update(exc.headers)
    return response


# --- dependencies --------------------------------------------------------------------------------


def _rules(state: StateDep, address: str | None) -> GroupRules:
    """Return the rules of the municipality of `address`; without rules nobody registers (503)."""
    try:
        return rules_for_address(state.current.locator, address)
    except RulesMissingError:
        raise PageError(
            503, "Aanmelden kan hier nog niet: de gemeente heeft nog geen reglement gepubliceerd."
        ) from None


def _refused(exc: csrf.CsrfError) -> PageError:
    return PageError(
        403,
        f"{exc} Laad het formulier opnieuw en probeer nog eens; uw gegevens zijn niet verstuurd.",
    )


async def checked_form(request: Request, key: SigningKeyDep) -> FormData:
    """Return a posted form whose CSRF token is valid for this browser (403 otherwise)."""
    try:
        await csrf.check(request, key)
    except csrf.CsrfError as exc:
        raise _refused(exc) from None
    return await request.form()


async def checked_registration(request: Request, key: SigningKeyDep) -> FormData:
    """Return a posted registration: size limited (413), CSRF token valid (403)."""
    try:
        await limit_body(request)
    except PayloadTooLargeError as exc:
        raise PageError(413, f"Het formulier is te groot: {exc}.") from None
    return await checked_form(request, key)


def _consumed(form: FormData, session: Session) -> FormData:
    token = form.get(csrf.FIELD)
    assert isinstance(token, str)  # checked_form verified it
    try:
        csrf.consume(session, token)
    except csrf.CsrfError as exc:
        raise _refused(exc) from None
    return form


def posted_form(form: Annotated[FormData, Depends(checked_form)], session: SessionDep) -> FormData:
    """Return a posted form once its CSRF token is checked and used up (403 for a replay)."""
    return _consumed(form, session)


def registration_form(
    request: Request,
    form: Annotated[FormData, Depends(checked_registration)],
    session: SessionDep,
) -> FormData:
    """Return a posted registration, counted per address (429), its CSRF token used up."""
    try:
        count_registration(request, session)
    except RateLimitedError as exc:
        raise PageError(429, str(exc), exc.headers) from None
    return _consumed(form, session)


PostedForm = Annotated[FormData, Depends(posted_form)]
RegistrationForm = Annotated[FormData, Depends(registration_form)]


# --- the form -------------------------------------------------------------------------------------

# The order of the form: the error summary lists errors in this order.
FIELDS = (
    "role",
    "name",
    "address",
    "relation",
    "phone",
    "email",
    "adult",
    "accept_rules",
    "accept_statement",
    "consent_police",
)
TEXT_FIELDS = ("role", "name", "address", "phone", "email", "relation", "address_choice")
CHECKBOXES = ("adult", "accept_rules", "accept_statement", "consent_police")
# Where the error summary links to when the field's first control is not named after it.
ANCHORS = {"role": "role-1", "relation": "relation-1"}
LIMITS = {"name": MAX_NAME, "address": MAX_ADDRESS, "phone": MAX_PHONE, "email": 254}
MESSAGES = {
    "role": "Kies of u zich aanmeldt als deelnemer of als coördinator.",
    "name": "Vul uw voornaam en naam in.",
    "address": "Vul uw adres in: straat, huisnummer, postcode en gemeente.",
    "relation": "Kies of u op dit adres woont of werkt.",
    "phone": "Vul uw gsm-nummer in, bijvoorbeeld 0470 12 34 56.",
    "email": "Vul een geldig e-mailadres in, zoals naam@voorbeeld.be, of laat het veld leeg.",
    "adult": "U moet meerderjarig zijn om deel te nemen.",
    "accept_rules": "Aanvaard het huishoudelijk reglement.",
    "accept_statement": "Onderschrijf de intentieverklaring.",
    "consent_police": "Zonder uw toestemming kan de politie uw aanmelding niet nakijken.",
}
# Fields whose validators speak Dutch: their message is shown as it is (email-validator's is English).
DUTCH_VALIDATORS = {"name", "address", "phone", *CHECKBOXES}
RULES_CHANGED = (
    "Het reglement of de intentieverklaring is intussen gewijzigd, of voor uw gemeente gelden "
    "andere. Lees de geldende versie hieronder en vink opnieuw aan."
)


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    for name in CHECKBOXES:
        values[name] = name in form
    return values


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc", ())
        field = str(loc[0]) if loc else ""
        if field not in MESSAGES or field in errors:
            continue
        ctx = error.get("ctx") or {}
        if error["type"] == "value_error" and field in DUTCH_VALIDATORS and "error" in ctx:
            errors[field] = _sentence(str(ctx["error"]))
        elif error["type"] == "string_too_long" and "max_length" in ctx:
            errors[field] = f"Dit veld is te lang: hoogstens {ctx['max_length']} tekens."
        else:
            errors[field] = MESSAGES[field]
    return errors


def _ordered(errors: Mapping[str, str]) -> dict[str, str]:
    return {name: errors[name] for name in FIELDS if name in errors}


@cache
@dataclass(frozen=True)
class _Document:
    version: str
    html: Markup


def form_versions(rules: GroupRules) -> str:
    """Return what the form carries of the texts it shows: versions and (short) SHA-256s.

    The hashes tell apart two municipalities' rules of the same version: an applicant whose
    address is in a municipality with other rules than the form showed is shown those first.
    """
    texts = (rules.rules, rules.statement)
    return "/".join([t.version for t in texts] + [t.sha256[:16] for t in texts])


def _form_page(
    request: Request,
    key: bytes,
    rules: GroupRules,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    candidates: list[str] | None = None,
) -> HTMLResponse:
    token = csrf.token_for(request, key)
    context = {
        "title": "Aanmelden bij een buurtpreventiegroep",
        # A soft hyphen: the long word breaks at 320 px instead of running off the screen.
        "heading": "Aanmelden bij een WhatsApp-buurt\u00adpreventiegroep",
        "values": values,
        "errors": _ordered(errors),
        "anchors": {**ANCHORS, "address_choice": "address_choice-1"},
        "candidates": candidates or [],
        "limits": LIMITS,
        "rules": _Document(rules.rules.version, document_html(rules.rules.text)),
        "statement": _Document(rules.statement.version, document_html(rules.statement.text)),
        "versions": form_versions(rules),
        "csrf_token": token,
    }
    response = page(request, "aanmelden.html", context, status_code=422 if errors else 200)
    csrf.set_cookie(response, request, token)
    return response


@router.get("/aanmelden", response_class=HTMLResponse)
def registration_form_page(
    request: Request,
    key: SigningKeyDep,
    state: StateDep,
    adres: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
) -> HTMLResponse:
    """Show the registration form; ``?adres=`` (from a search answer) fills in the address.

    The rules shown are those of the address's municipality (the dataset's without an address).
    """
    # No radio button is chosen beforehand: a pre-chosen role is easily sent unread (GOV.UK).
    values = {"address": adres.strip()} if adres and adres.strip() else {}
    rules = _rules(state, adres)
    return _form_page(request, key, rules, values, {})


@router.post("/aanmelden", response_class=HTMLResponse)
def submit_registration_form(
    request: Request,
    form: RegistrationForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """File an application; show the form again with Dutch errors, or go to the confirmation."""
    values = _values(form)
    if values["address_choice"]:  # a candidate picked after an ambiguous address
        values["address"], values["address_choice"] = values["address_choice"], ""
    rules = _rules(state, values["address"])
    if form.get("versions") != form_versions(rules):
        # The applicant read other texts than the current ones of their municipality (changed
        # since, or another municipality's): they must consent to these.
        for name in ("accept_rules", "accept_statement"):
            values[name] = False
        return _form_page(request, key, rules, values, {"accept_rules": RULES_CHANGED})
    try:
        data = RegistrationIn.model_validate({name: values[name] for name in FIELDS})
    except ValidationError as exc:
        return _form_page(request, key, rules, values, _field_errors(exc))
    try:
        done = submit(session, state.current.locator, rules, data, channel="form")
    except AmbiguousAddressError as exc:
        session.rollback()
        errors = {"address": _sentence(str(exc))}
        return _form_page(request, key, rules, values, errors, exc.candidates)
    except NoGroupError as exc:
        session.rollback()
        return _form_page(request, key, rules, values, {"role": _sentence(str(exc))})
    except AddressError as exc:
        session.rollback()
        return _form_page(request, key, rules, values, {"address": _sentence(str(exc))})
    except LookupInputError:
        session.rollback()
        return _form_page(request, key, rules, values, {"address": MESSAGES["address"]})
    session.commit()  # before the redirect: the confirmation page means stored
    # A path, not a full URL: behind a TLS proxy the app may not know its public scheme.
    url = request.url_for("registration_confirmation", token=done.token).path
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
