"""The police's pages: the applications to vet, oldest first, and the decided ones.

Each application shows what vetting needs at a glance: name, the address as the register writes
it, group, role, days waiting and how many other open applications of the municipality share its
phone number or name. "Weigeren" asks no reason: reasons are never stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service import registrations as reg
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import DatasetDep, SettingsDep
from service.routes.registrations import RegistrationId
from service.routes.staff import (
    PREFIX,
    PoliceStaff,
    StaffForm,
    days_since,
    done,
    field,
    scope_of,
    staff_page,
    zone_name,
)
from zones.municipal import zone_member_cap

# Up to this many groups the choice is a list of radio buttons (labels wrap on a phone); above it,
# a select with short labels.
GROUP_RADIOS_MAX = 12

router = APIRouter(include_in_schema=False)

QUEUE = f"{PREFIX}/politie"


@router.get(QUEUE, response_class=HTMLResponse)
def vetting_queue(
    request: Request,
    user: PoliceStaff,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> HTMLResponse:
    """Show the pending applications of the municipality, oldest first."""
    entries = reg.vetting_list(session, scope_of(user, dataset), user.id)
    session.commit()  # the audit events of these reads
    context = {
        "title": "Aanmeldingen beoordelen",
        "heading": "Aanmeldingen te beoordelen",
        "entries": entries,
        "address": reg.full_address,
        "zone_name": lambda zone_id: zone_name(dataset, zone_id),
        "days": days_since,
        "zones": dataset.zones.active(),
        "radio_max": GROUP_RADIOS_MAX,
    }
    return staff_page(request, "beheer/politie.html", context, user=user, key=key)


@router.get(f"{QUEUE}/beslist", response_class=HTMLResponse)
def decided_applications(
    request: Request,
    user: PoliceStaff,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Show the decided applications that are still kept (until their retention period ends)."""
    entries = reg.vetting_list(session, scope_of(user, dataset), user.id, decided=True)
    session.commit()  # the audit events of these reads
    context = {
        "title": "Besliste aanmeldingen",
        "heading": "Besliste aanmeldingen",
        "entries": entries,
        "address": reg.full_address,
        "zone_name": lambda zone_id: zone_name(dataset, zone_id),
        "refused_days": settings.retention_refused_days,
        "removed_days": settings.retention_removed_days,
    }
    return staff_page(request, "beheer/politie_beslist.html", context, user=user, key=key)


@router.post(f"{QUEUE}/{{registration_id}}/goedkeuren")
def approve_application(
    registration_id: RegistrationId,
    user: PoliceStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Approve a pending application ("Goedkeuren"); the coordinator sees the new member."""
    scope = scope_of(user, dataset)
    reg.approve(
        session, registration_id, scope, user.id, lambda zone: zone_member_cap(dataset, zone)
    )
    session.commit()
    return done(QUEUE, "goedgekeurd")


@router.post(f"{QUEUE}/{{registration_id}}/weigeren")
def refuse_application(
    registration_id: RegistrationId,
    user: PoliceStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Refuse a pending application ("Weigeren"); no reason is asked or kept."""
    reg.refuse(session, registration_id, scope_of(user, dataset), user.id)
    session.commit()
    return done(QUEUE, "geweigerd")


@router.post(f"{QUEUE}/{{registration_id}}/groep")
def assign_group(
    registration_id: RegistrationId,
    user: PoliceStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Choose the group of an application whose address is in no zone (a zone, or a new group)."""
    choice = field(form, "zone", 64)
    reg.assign_group(
        session,
        registration_id,
        scope_of(user, dataset),
        user.id,
        zone_id=None if choice == "nieuw" else choice,
        known_zones=dataset.zones,
    )
    session.commit()
    return done(QUEUE, "groep")
