"""What is published, for the municipality (``/beheer/gemeente/publicatie``) and a group's contact.

The municipality sees its groups as residents do (name, area, public contact), moves, adds or
removes its infoborden, and sets its own contact (phone, e-mail, e-loket) that every "contact the municipality"
on the resident pages shows. A coordinator publishes or withdraws the group's contact on "Mijn
groep", with consent (``service.publication``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from maps.sitepages import municipality_folder
from service import accounts, publication
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import StateDep
from service.routes.staff import (
    MESSAGES,
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
RULES = f"{PREFIX}/gemeente/regels"
BOARDS = f"{PUBLISHED}/infoborden"
BoardId = Annotated[str, Path(min_length=1, max_length=64)]


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
    zones = accounts.municipality_zones(dataset, municipality)
    # In a dataset of several municipalities each has its own contact; else the dataset's.
    own = next((m for m in dataset.meta.municipalities if m.name == municipality), dataset.meta)
    context = {
        "title": "Wat gepubliceerd is",
        "heading": "Wat gepubliceerd is",
        "zones": zones,
        "boards": [b for b in dataset.infoborden if b.properties.zone_id in {z.id for z in zones}],
        "contact": own.contact,
        "contact_url": own.contact_url,
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


@router.post(BOARDS, response_class=HTMLResponse)
def add_board(
    request: Request,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Add an infobord to one of the municipality's groups."""
    values = {n: field(form, n, 300) for n in ("name", "zone", "latitude", "longitude")}
    try:
        publication.add_infobord(
            session,
            state,
            user,
            own_municipality(user, state.current.dataset),
            name=values["name"],
            zone_id=values["zone"],
            latitude=values["latitude"],
            longitude=values["longitude"],
        )
    except publication.PublicationError as exc:
        errors = {exc.field: str(exc)}
        return _published_page(
            request, key, user, state, values=values, errors=errors, status_code=422
        )
    session.commit()
    return done(PUBLISHED, "infobord-toegevoegd")


@router.post(f"{BOARDS}/{{board_id}}/verplaatsen", response_class=HTMLResponse)
def move_board(
    request: Request,
    board_id: BoardId,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Move one of the municipality's infoborden."""
    values = {n: field(form, n, 40) for n in ("latitude", "longitude")}
    try:
        publication.move_infobord(
            session,
            state,
            user,
            own_municipality(user, state.current.dataset),
            board_id,
            latitude=values["latitude"],
            longitude=values["longitude"],
        )
    except publication.UnknownBoardError:
        raise StaffPageError(404, MESSAGES[404]) from None
    except publication.PublicationError as exc:
        # The error points at this board's own fields; the "add" form stays empty.
        errors = {f"{exc.field}-{board_id}": str(exc)}
        return _published_page(request, key, user, state, errors=errors, status_code=422)
    session.commit()
    return done(PUBLISHED, "infobord-verplaatst")


@router.post(f"{BOARDS}/{{board_id}}/verwijderen")
def remove_board(
    board_id: BoardId,
    user: MunicipalityStaff,
    form: StaffForm,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Remove one of the municipality's infoborden."""
    try:
        publication.remove_infobord(
            session, state, user, own_municipality(user, state.current.dataset), board_id
        )
    except publication.UnknownBoardError:
        raise StaffPageError(404, MESSAGES[404]) from None
    session.commit()
    return done(PUBLISHED, "infobord-verwijderd")


def _rules_page(
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
    texts = publication.rules_texts(dataset, municipality)
    # What the form sent comes back into its box after an error, so that no typing is lost.
    sent = values or {}
    texts = [replace(t, text=sent[t.which]) if t.which in sent else t for t in texts]
    several = len(dataset.municipalities.names) > 1
    context = {
        "title": "Reglement en intentieverklaring",
        "heading": "Reglement en intentieverklaring",
        "texts": texts,
        "max_length": publication.MAX_RULES_TEXT,
        "public_page": f"/{municipality_folder(municipality)}/regels" if several else "/regels",
        "errors": errors or {},
    }
    return staff_page(
        request, "beheer/regels.html", context, user=user, key=key, status_code=status_code
    )


@router.get(RULES, response_class=HTMLResponse)
def rules_texts(
    request: Request, user: MunicipalityStaff, key: SigningKeyDep, state: StateDep
) -> HTMLResponse:
    """Show the group rules and the statement of intent residents accept, to edit."""
    return _rules_page(request, key, user, state)


@router.post(f"{RULES}/{{which}}", response_class=HTMLResponse)
def publish_rules_text(
    request: Request,
    which: Literal["regels", "intentieverklaring"],
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Publish a new version of the rules or the statement of intent."""
    # Read whole (within the form's size limit) so that a text over the maximum is told, not cut.
    text = str(form.get("text") or "")
    try:
        version = publication.set_rules_text(
            session,
            state,
            user,
            own_municipality(user, state.current.dataset),
            which,
            text,
            edited=str(form.get("version") or ""),
        )
    except publication.PublicationError as exc:
        return _rules_page(
            request,
            key,
            user,
            state,
            values={which: text},
            errors={f"text-{which}": str(exc)},
            status_code=422,
        )
    return done(RULES, "regels" if version else "regels-ongewijzigd")


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
