"""The applicant's private pages (``/aanmelding/{token}``): status, their data, withdrawal.

The token in the path is the only key: pages show the status and the group, never the name, phone
or address, and share the form's security headers and error pages (``service.routes.signup``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from service import csrf
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import SettingsDep, StateDep
from service.hosts import public_url
from service.registrations import (
    UnknownRegistrationError,
    by_token,
    export_data,
    status_message,
    withdraw,
)
from service.routes.signup import NO_STORE, SECURITY_HEADERS, PageError, PostedForm, page
from zones.errors import UnknownZoneError

BRUSSELS = ZoneInfo("Europe/Brussels")
MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
GONE = "Deze aanmelding bestaat niet (meer)."

router = APIRouter(include_in_schema=False)
TokenPath = Annotated[str, PathParam(max_length=100)]


def dutch_date(moment: datetime) -> str:
    """Write a moment as residents read it: ``5 maart 2026`` (Brussels time)."""
    local = moment.astimezone(BRUSSELS)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


@dataclass(frozen=True)
class Shown:
    """What the private pages show of a registration (no name, phone or address)."""

    role: str
    status: str
    status_text: str
    group_name: str | None
    created_at: str


def shown_registration(token: TokenPath, session: SessionDep, state: StateDep) -> Shown:
    """Return what the pages show of the token's registration; an unknown token gets a 404 page."""
    try:
        row = by_token(session, token)
    except UnknownRegistrationError:
        raise PageError(404, f"{GONE} Controleer de link, of meld u opnieuw aan.") from None
    group_name = None
    if row.zone_id is not None:
        try:
            group_name = state.current.dataset.zones.get(row.zone_id).name
        except UnknownZoneError:  # the zone was retired in a later generation
            group_name = row.zone_id
    return Shown(
        role=row.role,
        status=row.status,
        status_text=status_message(row),
        group_name=group_name,
        created_at=dutch_date(row.created_at),
    )


ShownDep = Annotated[Shown, Depends(shown_registration)]


def _private_page(
    request: Request,
    token: str,
    shown: Shown,
    template: str,
    title: str,
    heading: str,
    **extra: Any,
) -> HTMLResponse:
    # Every private page links back to the status page: the link is the applicant's only way in.
    # From the base URL (or a checked host), never from an unchecked Host header.
    private_url = public_url(request, request.url_for("registration_status", token=token).path)
    context = {"title": title, "heading": heading, "reg": shown, "private_url": private_url}
    return page(request, template, {**context, **extra})


@router.get("/aanmelding/{token}/bevestiging", response_class=HTMLResponse)
def registration_confirmation(request: Request, token: TokenPath, shown: ShownDep) -> HTMLResponse:
    """Confirm a new application: its group, what happens next, and the private link."""
    title, heading = "Aanmelding ontvangen", "Uw aanmelding is ontvangen"
    return _private_page(request, token, shown, "bevestiging.html", title, heading)


@router.get("/aanmelding/{token}", response_class=HTMLResponse)
def registration_status(request: Request, token: TokenPath, shown: ShownDep) -> HTMLResponse:
    """Show the status of an application, with download and withdrawal."""
    title, heading = "Uw aanmelding", "Uw aanmelding bij de buurtpreventie"
    return _private_page(request, token, shown, "aanmelding.html", title, heading)


@router.get("/aanmelding/{token}/gegevens")
def registration_data(token: TokenPath, session: SessionDep) -> Response:
    """Download everything stored about the application, as JSON (GDPR Art. 15 and 20)."""
    try:
        data = export_data(session, token)
    except UnknownRegistrationError:
        raise PageError(404, GONE) from None
    session.commit()  # the audit event of this download
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={
            **SECURITY_HEADERS,
            **NO_STORE,
            "Content-Disposition": 'attachment; filename="mijn-aanmelding.json"',
        },
    )


@router.get("/aanmelding/{token}/intrekken", response_class=HTMLResponse)
def withdraw_confirmation(
    request: Request, token: TokenPath, shown: ShownDep, key: SigningKeyDep
) -> HTMLResponse:
    """Ask whether the applicant really wants to withdraw (nothing changes yet)."""
    csrf_token = csrf.token_for(request, key)
    title, heading = "Aanmelding intrekken", "Aanmelding intrekken?"
    response = _private_page(
        request, token, shown, "intrekken.html", title, heading, csrf_token=csrf_token
    )
    csrf.set_cookie(response, request, csrf_token)
    return response


@router.post("/aanmelding/{token}/intrekken", response_class=HTMLResponse)
def withdraw_registration(
    request: Request,
    token: TokenPath,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    shown: ShownDep,
) -> HTMLResponse:
    """Withdraw the application: erased now, or after the coordinator removed the member."""
    try:
        outcome = withdraw(session, token)
    except UnknownRegistrationError:
        raise PageError(404, GONE) from None
    session.commit()
    context = {
        "title": "Aanmelding ingetrokken",
        "heading": "Uw aanmelding is ingetrokken",
        "removal": outcome == "leaving",
        # Approved but not yet added: the coordinator is told not to add them, not to remove them.
        "was_added": shown.status in ("added", "leaving"),
        # A member may be in the WhatsApp group: the record goes when the coordinator removes
        # them, and `wabp purge` erases it after this many days if the coordinator never does.
        "leaving_days": settings.retention_leaving_days,
    }
    return page(request, "ingetrokken.html", context)
