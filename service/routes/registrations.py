"""Registrations over JSON: residents apply, police vet, coordinators add, the municipality audits.

| who | routes |
|---|---|
| anyone | ``POST /api/registrations``, ``GET /api/reglement`` |
| the applicant (private token) | ``GET /api/aanmelding/{token}``, ``.../export``, ``POST .../withdraw`` |
| police, municipality (own municipality) | ``GET /api/registrations``, ``POST .../{id}/assign`` |
| police (own municipality) | ``POST /api/registrations/{id}/approve``, ``.../refuse`` |
| coordinator (own zone) | ``GET /api/groups/{zone_id}/members``, ``POST .../members/{id}/added``, ``/removed`` |
| municipality | ``GET /api/audit`` |

Staff models are apart from the applicant's: each shows only the fields that role needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from service import registrations as reg
from service.auth import ensure_zone_access, require_role
from service.db import SessionDep
from service.deps import DatasetDep, LocatorDep
from service.ratelimit import RegistrationLimit
from service.scope import StaffScope, staff_scope
from service.tables import AuditEvent, Registration, RegistrationStatus, User
from zones.dataset import Dataset
from zones.lookup import MAX_QUERY_LENGTH
from zones.municipal import zone_member_cap

router = APIRouter(tags=["registrations"])

Vetter = Annotated[User, Depends(require_role("police"))]
Staff = Annotated[User, Depends(require_role("police", "municipality"))]
Coordinator = Annotated[User, Depends(require_role("coordinator"))]
Auditor = Annotated[User, Depends(require_role("municipality"))]

# Personal data must not be kept by browsers or proxies (OWASP ASVS 8.2.1).
NO_STORE = {"Cache-Control": "no-store"}
Token = Annotated[str, Path(max_length=100, description="the private token of the application")]
RegistrationId = Annotated[str, Path(max_length=64)]
ZoneId = Annotated[str, Path(max_length=64)]


class GroupOut(BaseModel):
    """The group an application is for."""

    zone_id: str
    name: str


class Created(BaseModel):
    """The answer to an application: keep the private link, it is shown only once."""

    id: str
    status: RegistrationStatus
    message: str
    group: GroupOut | None
    link: str = Field(description="private page: status, download your data, withdraw")
    token: str = Field(description="the private token in the link, for the /api/aanmelding routes")


class ApplicantView(BaseModel):
    """What the applicant sees with their token: the status, never the reasons of a decision."""

    id: str
    role: str
    status: RegistrationStatus
    message: str
    group: GroupOut | None
    created_at: dt.datetime


class Withdrawn(BaseModel):
    """What happened to a withdrawn application."""

    outcome: Literal["erased", "leaving"]
    message: str


class StaffView(BaseModel):
    """An application as police and municipality see it: what vetting needs."""

    id: str
    role: str
    status: RegistrationStatus
    name: str
    phone: str
    email: str | None
    relation: str
    address: str
    municipality: str
    group: GroupOut | None
    new_group: bool
    duplicates: int = Field(
        description="other open applications of the municipality with the same phone number"
    )
    created_at: dt.datetime
    decided_at: dt.datetime | None


class Assignment(BaseModel):
    """The group of an application whose address is in no zone: a zone, or a new group."""

    model_config = ConfigDict(extra="forbid")

    zone_id: str | None = Field(default=None, max_length=64)
    new_group: bool = False


class Member(BaseModel):
    """A member as the coordinator sees them: only what adding them to WhatsApp needs."""

    id: str
    name: str
    phone: str
    street: str
    status: RegistrationStatus
    task: Literal["add", "remove"] | None = Field(
        description="add: approved, not yet in the WhatsApp group; remove: the member left"
    )


class Members(BaseModel):
    """A group's members and how full it is against the WhatsApp member cap."""

    zone_id: str
    name: str
    member_cap: int
    filled: int
    members: list[Member]


class Removed(BaseModel):
    """What happened to a member the coordinator removed."""

    outcome: Literal["erased", "removed"]


class AuditOut(BaseModel):
    """One audit event: who (staff id and role, or the applicant) did what, when."""

    at: dt.datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str
    detail: str


class RulesOut(BaseModel):
    """The texts an applicant accepts, with their versions."""

    rules_version: str
    rules: str
    statement_version: str
    statement: str


def _group(dataset: Dataset, zone_id: str | None) -> GroupOut | None:
    if zone_id is None:
        return None
    name = dataset.zones.get(zone_id).name if zone_id in dataset.zones else zone_id
    return GroupOut(zone_id=zone_id, name=name)


def _staff_view(session: Any, dataset: Dataset, row: Registration, scope: StaffScope) -> StaffView:
    return StaffView(
        id=row.id,
        role=row.role,
        status=row.status,  # type: ignore[arg-type]
        name=row.name,
        phone=row.phone,
        email=row.email,
        relation=row.relation,
        address=reg.full_address(row),
        municipality=row.municipality,
        group=_group(dataset, row.zone_id),
        new_group=row.new_group,
        duplicates=reg.duplicates(session, row, scope.municipalities),
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


# --- public ------------------------------------------------------------------------------------


@router.post(
    "/api/registrations",
    status_code=201,
    response_model=Created,
    dependencies=RegistrationLimit,
    responses={413: {}, 422: {}, 429: {}},
)
def apply(
    data: reg.RegistrationIn, session: SessionDep, locator: LocatorDep, response: Response
) -> Created:
    """Apply to join the group of an address (or to coordinate a new one); returns a private link.

    The consents are to the rules of the address's municipality (``/api/reglement?adres=``).
    """
    rules = reg.rules_for_address(locator, data.address)
    done = reg.submit(session, locator, rules, data)
    session.commit()  # before answering: a 201 means stored
    response.headers.update(NO_STORE)
    row = done.registration
    return Created(
        id=row.id,
        status="pending",
        message=reg.status_message(row),
        group=GroupOut(zone_id=done.group.id, name=done.group.name) if done.group else None,
        link=f"/aanmelding/{done.token}",
        token=done.token,
    )


@router.get("/api/reglement", response_model=RulesOut)
def rules(
    locator: LocatorDep,
    adres: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="the applicant's address: its municipality's rules (default: the dataset's)",
        ),
    ] = None,
) -> RulesOut:
    """Return the group rules and the statement of intent an applicant accepts."""
    current = reg.rules_for_address(locator, adres)
    return RulesOut(
        rules_version=current.rules.version,
        rules=current.rules.text,
        statement_version=current.statement.version,
        statement=current.statement.text,
    )


# --- the applicant, with the private token ---------------------------------------------------


@router.get("/api/aanmelding/{token}", response_model=ApplicantView, responses={404: {}})
def my_status(
    token: Token, session: SessionDep, dataset: DatasetDep, response: Response
) -> ApplicantView:
    """Return the status of one's own application."""
    row = reg.by_token(session, token)
    response.headers.update(NO_STORE)
    return ApplicantView(
        id=row.id,
        role=row.role,
        status=row.status,  # type: ignore[arg-type]
        message=reg.status_message(row),
        group=_group(dataset, row.zone_id),
        created_at=row.created_at,
    )


@router.get(
    "/api/aanmelding/{token}/export",
    responses={200: {"content": {"application/json": {}}}, 404: {}},
)
def my_data(token: Token, session: SessionDep) -> JSONResponse:
    """Download everything stored about oneself, as a JSON file."""
    data = reg.export_data(session, token)
    session.commit()  # the audit event of this read
    return JSONResponse(
        data,
        headers={
            **NO_STORE,
            "Content-Disposition": 'attachment; filename="mijn-aanmelding-wabp.json"',
        },
    )


@router.post("/api/aanmelding/{token}/withdraw", response_model=Withdrawn, responses={404: {}})
def my_withdrawal(token: Token, session: SessionDep) -> Withdrawn:
    """Withdraw the application, or leave the group."""
    outcome = reg.withdraw(session, token)
    session.commit()
    message = "Uw gegevens zijn gewist." if outcome == "erased" else reg.STATUS_MESSAGES["leaving"]
    return Withdrawn(outcome=outcome, message=message)


# --- police and municipality ------------------------------------------------------------------


@router.get("/api/registrations", response_model=list[StaffView], responses={401: {}, 403: {}})
def list_registrations(
    user: Staff,
    session: SessionDep,
    dataset: DatasetDep,
    response: Response,
    status: Annotated[RegistrationStatus | None, Query(description="only this status")] = None,
    unassigned: Annotated[
        bool, Query(description="only addresses in no zone still waiting for a group")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[StaffView]:
    """List the applications of one's own municipality or police zone (every one shown is audited)."""
    scope = staff_scope(user, dataset)
    rows = reg.list_for_staff(
        session, scope.municipalities, user.id, status=status, unassigned=unassigned, limit=limit
    )
    response.headers.update(NO_STORE)
    views = [_staff_view(session, dataset, row, scope) for row in rows]
    session.commit()  # the audit events of these reads
    return views


@router.post("/api/registrations/{registration_id}/approve", response_model=StaffView)
def approve(
    registration_id: RegistrationId, user: Vetter, session: SessionDep, dataset: DatasetDep
) -> StaffView:
    """Approve a pending application (refused when its group is full)."""
    scope = staff_scope(user, dataset)
    row = reg.approve(
        session,
        registration_id,
        scope.municipalities,
        user.id,
        lambda zone_id: zone_member_cap(dataset, zone_id),
    )
    view = _staff_view(session, dataset, row, scope)
    session.commit()
    return view


@router.post("/api/registrations/{registration_id}/refuse", response_model=StaffView)
def refuse(
    registration_id: RegistrationId, user: Vetter, session: SessionDep, dataset: DatasetDep
) -> StaffView:
    """Refuse a pending application; no reason is asked or kept."""
    scope = staff_scope(user, dataset)
    row = reg.refuse(session, registration_id, scope.municipalities, user.id)
    view = _staff_view(session, dataset, row, scope)
    session.commit()
    return view


@router.post("/api/registrations/{registration_id}/assign", response_model=StaffView)
def assign(
    registration_id: RegistrationId,
    assignment: Annotated[Assignment, Body()],
    user: Staff,
    session: SessionDep,
    dataset: DatasetDep,
) -> StaffView:
    """Decide the group of a pending application: an existing zone, or a new group."""
    if (assignment.zone_id is None) != assignment.new_group:
        raise reg.RegistrationError("geef een zone_id of new_group: true, niet beide")
    scope = staff_scope(user, dataset)
    row = reg.assign_group(
        session,
        registration_id,
        scope.municipalities,
        user.id,
        zone_id=assignment.zone_id,
        known_zones=dataset.zones,
    )
    view = _staff_view(session, dataset, row, scope)
    session.commit()
    return view


# --- coordinators -------------------------------------------------------------------------------


def _member(row: Registration) -> Member:
    task: Literal["add", "remove"] | None = {"approved": "add", "leaving": "remove"}.get(row.status)  # type: ignore[assignment]
    return Member(
        id=row.id,
        name=row.name,
        phone=row.phone,
        street=row.street,
        status=row.status,  # type: ignore[arg-type]
        task=task,
    )


@router.get("/api/groups/{zone_id}/members", response_model=Members, responses={401: {}, 403: {}})
def group_members(
    zone_id: ZoneId, user: Coordinator, session: SessionDep, dataset: DatasetDep, response: Response
) -> Members:
    """List one's own group's members with their tasks, and how full the group is."""
    ensure_zone_access(user, zone_id, dataset.zones)
    rows = reg.members(session, zone_id, user.id)
    response.headers.update(NO_STORE)
    group = _group(dataset, zone_id)
    assert group is not None
    shown = Members(
        zone_id=zone_id,
        name=group.name,
        member_cap=zone_member_cap(dataset, zone_id),
        filled=reg.group_fill(session, zone_id),
        members=[_member(row) for row in rows],
    )
    session.commit()  # the audit events of these reads
    return shown


@router.post("/api/groups/{zone_id}/members/{registration_id}/added", response_model=Member)
def member_added(
    zone_id: ZoneId,
    registration_id: RegistrationId,
    user: Coordinator,
    session: SessionDep,
    dataset: DatasetDep,
) -> Member:
    """Record that an approved member was added to the WhatsApp group."""
    ensure_zone_access(user, zone_id, dataset.zones)
    member = _member(reg.mark_added(session, zone_id, registration_id, user.id))
    session.commit()
    return member


@router.post("/api/groups/{zone_id}/members/{registration_id}/removed", response_model=Removed)
def member_removed(
    zone_id: ZoneId,
    registration_id: RegistrationId,
    user: Coordinator,
    session: SessionDep,
    dataset: DatasetDep,
) -> Removed:
    """Record that a member was removed from the WhatsApp group (a leaving member is erased)."""
    ensure_zone_access(user, zone_id, dataset.zones)
    removed = Removed(outcome=reg.mark_removed(session, zone_id, registration_id, user.id))
    session.commit()
    return removed


# --- the audit log ---------------------------------------------------------------------------


@router.get("/api/audit", response_model=list[AuditOut], responses={401: {}, 403: {}})
def audit_log(
    user: Auditor,
    session: SessionDep,
    dataset: DatasetDep,
    object_id: Annotated[str | None, Query(max_length=64, description="one application")] = None,
    since: Annotated[dt.datetime | None, Query(description="only events from then on")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AuditOut]:
    """Return who saw or changed which application of one's municipality, and when (newest first)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    scope = staff_scope(user, dataset).municipalities
    events = reg.audit_log(session, scope, object_id=object_id, since=since, limit=limit)
    actors = {e.actor_id for e in events if e.actor_id}
    roles: dict[str, str] = {}
    if actors:
        rows = session.execute(select(User.id, User.role).where(User.id.in_(actors)))
        roles = {str(user_id): str(role) for user_id, role in rows}
    return [_audit_out(e, roles) for e in events]


def _audit_out(event: AuditEvent, roles: dict[str, str]) -> AuditOut:
    return AuditOut(
        at=event.at,
        actor_id=event.actor_id,
        actor_role=roles.get(event.actor_id) if event.actor_id else "applicant",
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        detail=event.detail,
    )
