"""What is published, for the municipality (``/beheer/gemeente/publicatie``) and a group's contact.

The municipality sees its groups as residents do (name, area, public contact), the infobord
positions, and sets its own contact (phone, e-mail, e-loket) that every "contact the municipality"
on the resident pages shows. A coordinator publishes or withdraws the group's contact on "Mijn
groep", with consent (``service.publication``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service import accounts, publication
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import StateDep
from service.routes.staff import (
    PREFIX,
    CoordinatorStaff,
    MunicipalityStaff,
    StaffForm,
    StaffPageError,
    done,
    field,
    own_municipality,
    staff_page,
)
from service.state import ServiceState
from service.tables import User

router = APIRouter(include_in_schema=False)

PUBLISHED = f"{PREFIX}/gemeente/publicatie"


def _published_page(
    request: Request,
    key: bytes,
    user: User,
    state: ServiceState,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    dataset = state.current.dataset
    municipality = own_municipality(user, dataset)
    context = {
        "title": "Wat gepubliceerd is",
        "heading": "Wat gepubliceerd is",
        "zones": accounts.municipality_zones(dataset, municipality),
        "boards": dataset.infoborden,
        "contact": dataset.meta.contact,
        "contact_url": dataset.meta.contact_url,
        "values": values or {},
        "errors": errors or {},
    }
    return staff_page(
        request, "beheer/publicatie.html", context, user=user, key=key, status_code=status_code
    )


@router.get(PUBLISHED, response_class=HTMLResponse)
def published(
    request: Request, user: MunicipalityStaff, key: SigningKeyDep, state: StateDep
) -> HTMLResponse:
    """Show the groups, their public contacts, the infoborden and the municipality's contact."""
    return _published_page(request, key, user, state)


@router.post(f"{PUBLISHED}/contact", response_class=HTMLResponse)
def set_contact(
    request: Request,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Publish the municipality's contact for residents."""
    values = {name: field(form, name, 300) for name in ("phone", "email", "url")}
    try:
        publication.set_municipality_contact(
            session,
            state,
            user,
            own_municipality(user, state.current.dataset),
            phone=values["phone"],
            email=values["email"],
            url=values["url"],
        )
    except publication.PublicationError as exc:
        errors = {exc.field: str(exc)}
        return _published_page(
            request, key, user, state, values=values, errors=errors, status_code=422
        )
    session.commit()
    return done(PUBLISHED, "contact")


@router.post(f"{PREFIX}/groep/contact")
def set_group_contact(
    user: CoordinatorStaff, form: StaffForm, session: SessionDep, state: StateDep
) -> Response:
    """Publish or withdraw the group's public contact (the coordinator's consent is recorded)."""
    dataset = state.current.dataset
    try:
        publication.set_group_contact(
            session,
            state,
            user,
            accounts.zone_municipality(dataset, user.zone_id),
            text=field(form, "contact", publication.MAX_GROUP_CONTACT),
            consent=form.get("consent") == "ja",
        )
    except publication.PublicationError as exc:
        raise StaffPageError(422, str(exc)) from None
    session.commit()
    return done(f"{PREFIX}/groep", "groepscontact")
