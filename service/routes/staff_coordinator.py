"""The coordinator's page "Mijn groep": members to add to and remove from the WhatsApp group.

Approved members still to add come with name, phone (a ``tel:`` link) and street: what adding
someone to WhatsApp needs, and no more (no house number, no e-mail). "Toegevoegd" and "Verwijderd"
are the hand-off API's ``added`` and ``removed``; a member who asked to leave is erased once removed.
The page also shows the group's fill against the member cap and the coordinator's own proposals.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service import proposals as workflow
from service import registrations as reg
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import DatasetDep
from service.routes.registrations import RegistrationId
from service.routes.staff import (
    PREFIX,
    CoordinatorStaff,
    StaffForm,
    done,
    phone_display,
    staff_page,
    zone_name,
)
from zones.municipal import zone_member_cap
from zones.proposals import Report

router = APIRouter(include_in_schema=False)

GROUP = f"{PREFIX}/groep"
PROPOSAL_STATUS = {"submitted": "ingediend", "approved": "goedgekeurd", "rejected": "afgewezen"}


@router.get(GROUP, response_class=HTMLResponse)
def my_group(
    request: Request,
    user: CoordinatorStaff,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> HTMLResponse:
    """Show the group's members by task, its fill against the cap, and one's own proposals."""
    zone_id = user.zone_id or ""
    roster = reg.roster(session, zone_id, user.id)
    proposals = workflow.visible_proposals(session, user, dataset)
    session.commit()  # the audit events of the members read
    by_status: dict[str, list[object]] = {"approved": [], "added": [], "leaving": []}
    for member in roster.members:
        by_status.setdefault(member.status, []).append(member)
    cap = zone_member_cap(dataset, zone_id)
    context = {
        "title": "Mijn groep",
        "heading": f"Mijn groep: {zone_name(dataset, zone_id)}",
        "to_add": by_status["approved"],
        "members": by_status["added"],
        "leaving": by_status["leaving"],
        "filled": roster.filled,
        "cap": cap,
        "nearly_full": roster.filled >= 0.9 * cap,
        "phone": phone_display,
        "proposals": proposals,
        "proposal_status": PROPOSAL_STATUS,
        "summary": lambda row: Report.model_validate_json(row.report_json).summary,
        "group_contact": (
            dataset.zones.get(zone_id).props.how_to_join if zone_id in dataset.zones else None
        ),
    }
    return staff_page(request, "beheer/groep.html", context, user=user, key=key)


@router.post(f"{GROUP}/leden/{{registration_id}}/toegevoegd")
def member_added(
    registration_id: RegistrationId, user: CoordinatorStaff, form: StaffForm, session: SessionDep
) -> Response:
    """Record that an approved member is now in the WhatsApp group ("Toegevoegd")."""
    reg.mark_added(session, user.zone_id or "", registration_id, user.id)
    session.commit()
    return done(GROUP, "toegevoegd")


@router.post(f"{GROUP}/leden/{{registration_id}}/verwijderd")
def member_removed(
    registration_id: RegistrationId, user: CoordinatorStaff, form: StaffForm, session: SessionDep
) -> Response:
    """Record that a member is out of the WhatsApp group ("Verwijderd"); one who left is erased."""
    outcome = reg.mark_removed(session, user.zone_id or "", registration_id, user.id)
    session.commit()
    return done(GROUP, "gewist" if outcome == "erased" else "verwijderd")
