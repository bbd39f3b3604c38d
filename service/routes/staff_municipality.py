"""The municipality's pages: proposals to review, the history of the zones, the audit log.

A proposal is shown with its report in words and a link to the comparison map that
``/proposals/{id}/map`` draws (``maps/compare.py``); "Goedkeuren" applies it, "Afwijzen" needs a
reason for the coordinator. Approving a stale proposal (another change was approved since) changes
nothing: the page shows the fresh report and asks again. The accounts and what is published have
their own modules (``staff_accounts``, ``staff_publication``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from service import proposals as workflow
from service import registrations as reg
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import StateDep
from service.proposals import TakeoverUnconfirmedError
from service.routes.generations import generation_diff
from service.routes.proposal_pages import comparison_map
from service.routes.proposals import ProposalId
from service.routes.signup import NO_STORE
from service.routes.staff import (
    PREFIX,
    MunicipalityStaff,
    StaffForm,
    done,
    field,
    own_municipality,
    scope_of,
    staff_page,
    zone_name,
)
from service.tables import Proposal, User
from zones.proposals import InvalidResultError, Report, StaleProposalError

router = APIRouter(include_in_schema=False)

HOME = f"{PREFIX}/gemeente"
PROPOSALS = f"{HOME}/voorstellen"
PROPOSAL_STATUS = {"submitted": "te beoordelen", "approved": "goedgekeurd", "rejected": "afgewezen"}
ROLE_LABELS = {"police": "politie", "municipality": "gemeente", "coordinator": "coördinator"}
# The audit log in words; an action not listed here is shown by its code.
ACTIONS = {
    "registration.submit": "aanmelding ingediend",
    "registration.read": "aanmelding bekeken",
    "registration.approve": "aanmelding goedgekeurd",
    "registration.refuse": "aanmelding geweigerd",
    "registration.assign": "groep toegewezen",
    "registration.leaving": "vertrek gemeld",
    "registration.export": "gegevens gedownload",
    "registration.erase": "gegevens gewist",
    "member.read": "leden bekeken",
    "member.added": "lid toegevoegd aan WhatsApp",
    "member.removed": "lid verwijderd uit WhatsApp",
    "proposal.submit": "voorstel ingediend",
    "proposal.approve": "voorstel goedgekeurd",
    "proposal.reject": "voorstel afgewezen",
    "proposal.stale": "voorstel verouderd",
    "proposal.invalid": "voorstel ongeldig",
    "user.create": "account aangemaakt",
    "user.activate": "account ingeschakeld",
    "user.deactivate": "account uitgeschakeld",
    "user.delete": "account verwijderd",
    "user.password": "eigen wachtwoord gewijzigd",
    "user.password_reset": "wachtwoord opnieuw ingesteld",
    "publication.contact": "contact van de gemeente gepubliceerd",
    "publication.regels": "reglement gepubliceerd",
    "publication.intentieverklaring": "intentieverklaring gepubliceerd",
    "group.contact": "publiek contact van een groep aangepast",
    "infobord.move": "infobord verplaatst",
    "infobord.add": "infobord toegevoegd",
    "infobord.remove": "infobord verwijderd",
}
MIN_REASON, MAX_REASON = 3, 2000
GenerationNumber = Annotated[int, Path(ge=2, le=1_000_000)]


def _report(row: Proposal) -> Report:
    return Report.model_validate_json(row.report_json)


@router.get(HOME, response_class=HTMLResponse)
def overview(
    request: Request,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> HTMLResponse:
    """Show the municipality's start page: what waits, and where everything is."""
    rows = workflow.visible_proposals(session, user, state.current.dataset)
    context = {
        "title": "Beheer voor de gemeente",
        "heading": f"Gemeente {own_municipality(user, state.current.dataset)}",
        "waiting": sum(1 for r in rows if r.status == "submitted"),
        "generation": state.current.generation,
    }
    return staff_page(request, "beheer/gemeente.html", context, user=user, key=key)


@router.get(PROPOSALS, response_class=HTMLResponse)
def proposal_list(
    request: Request,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> HTMLResponse:
    """List the proposals of the municipality: those to review first, then the decided ones."""
    dataset = state.current.dataset
    rows = workflow.visible_proposals(session, user, dataset)
    context = {
        "title": "Voorstellen",
        "heading": "Voorstellen voor nieuwe grenzen",
        "waiting": [r for r in rows if r.status == "submitted"],
        "decided": [r for r in rows if r.status != "submitted"],
        "status": PROPOSAL_STATUS,
        "report": _report,
        "zone_name": lambda zone_id: zone_name(dataset, zone_id),
    }
    return staff_page(request, "beheer/voorstellen.html", context, user=user, key=key)


def _proposal_page(
    request: Request,
    key: bytes,
    user: User,
    row: Proposal,
    state: Any,
    *,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    dataset = state.current.dataset
    context = {
        "title": "Voorstel",
        "heading": f"Voorstel voor {row.name or zone_name(dataset, row.zone_id)}",
        "p": row,
        "report": _report(row),
        "status": PROPOSAL_STATUS,
        "new_group": row.zone_id is None,
        "problem": problem,
        "errors": errors or {},
        "values": {"reason": reason},
        "min_reason": MIN_REASON,
        "max_reason": MAX_REASON,
    }
    return staff_page(
        request, "beheer/voorstel.html", context, user=user, key=key, status_code=status_code
    )


@router.get(f"{PROPOSALS}/{{proposal_id}}", response_class=HTMLResponse)
def proposal_detail(
    request: Request,
    proposal_id: ProposalId,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> HTMLResponse:
    """Show one proposal: its report in words, the map link, and the decision buttons."""
    row = workflow.visible_proposal(session, user, proposal_id, state.current.dataset)
    return _proposal_page(request, key, user, row, state)


@router.get(f"{PROPOSALS}/{{proposal_id}}/kaart", response_class=HTMLResponse)
def proposal_map(
    proposal_id: ProposalId, user: MunicipalityStaff, session: SessionDep, state: StateDep
) -> HTMLResponse:
    """Serve the comparison map of a proposal (current and proposed boundaries, moved addresses)."""
    row = workflow.visible_proposal(session, user, proposal_id, state.current.dataset)
    back = (f"{PROPOSALS}/{row.id}", "Terug naar het voorstel")
    return HTMLResponse(comparison_map(row, state, back=back), headers=NO_STORE)


# Why an approval did not go through, as the municipality reads it, and the page's status.
_NOT_APPROVED: dict[type[Exception], tuple[str, int]] = {
    TakeoverUnconfirmedError: (
        "Dit voorstel neemt gebied of adressen over van een andere groep. Vink aan dat u die "
        "overname bevestigt, of wijs het voorstel af. Er is niets gewijzigd.",
        409,
    ),
    StaleProposalError: (
        "Sinds dit voorstel werd ingediend is een andere wijziging goedgekeurd, en die verandert "
        "wat dit voorstel doet. Hieronder staan de gevolgen zoals ze nu zijn: er is nog niets "
        "gewijzigd. Kijk ze na en beslis opnieuw.",
        409,
    ),
    InvalidResultError: (
        "Dit voorstel kan niet worden goedgekeurd: de zones die het oplevert kloppen niet "
        "(zie de problemen hieronder). Er is niets gewijzigd.",
        422,
    ),
}


@router.post(f"{PROPOSALS}/{{proposal_id}}/goedkeuren", response_class=HTMLResponse)
def approve_proposal(
    request: Request,
    proposal_id: ProposalId,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Approve a proposal; a stale one shows its fresh report and asks again (409)."""
    confirm = field(form, "confirm_takeover", 10) == "ja"
    try:
        workflow.approve(session, user, state, proposal_id, confirm_takeover=confirm)
    except (TakeoverUnconfirmedError, StaleProposalError, InvalidResultError) as exc:
        # Nothing was changed: show the proposal again (a stale one with the fresh report the
        # workflow stored) with what stands in the way, and let the municipality decide again.
        problem, status_code = next(v for k, v in _NOT_APPROVED.items() if isinstance(exc, k))
        row = workflow.visible_proposal(session, user, proposal_id, state.current.dataset)
        return _proposal_page(
            request, key, user, row, state, problem=problem, status_code=status_code
        )
    session.commit()
    return done(PROPOSALS, "voorstel-goedgekeurd")


@router.post(f"{PROPOSALS}/{{proposal_id}}/afwijzen", response_class=HTMLResponse)
def reject_proposal(
    request: Request,
    proposal_id: ProposalId,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Reject a proposal with a reason the coordinator reads."""
    reason = field(form, "reason", MAX_REASON)
    if len(reason) < MIN_REASON:
        row = workflow.visible_proposal(session, user, proposal_id, state.current.dataset)
        errors = {"reason": "Schrijf kort waarom u het voorstel afwijst; de coördinator leest het."}
        return _proposal_page(
            request, key, user, row, state, errors=errors, reason=reason, status_code=422
        )
    workflow.reject(session, user, state, proposal_id, reason)
    session.commit()
    return done(PROPOSALS, "voorstel-afgewezen")


@router.get(f"{HOME}/generaties", response_class=HTMLResponse)
def generations(
    request: Request, user: MunicipalityStaff, key: SigningKeyDep, state: StateDep
) -> HTMLResponse:
    """List the generations of the zones, newest first, each linked to what it changed."""
    context = {
        "title": "Geschiedenis van de zones",
        "heading": "Geschiedenis van de zones",
        "generations": list(reversed(state.generations.list())),
        "current": state.current.generation,
    }
    return staff_page(request, "beheer/generaties.html", context, user=user, key=key)


@router.get(f"{HOME}/generaties/{{number}}", response_class=HTMLResponse)
def generation_changes(
    request: Request,
    number: GenerationNumber,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    state: StateDep,
) -> HTMLResponse:
    """Show what one generation changed against the one before: zones and moved addresses."""
    diff = generation_diff(state, number - 1, number)
    context = {
        "title": f"Generatie {number}",
        "heading": f"Wat generatie {number} veranderde",
        "diff": diff,
        "changes": {
            "added": "nieuw",
            "removed": "opgeheven",
            "geometry": "andere grens",
            "properties": "andere gegevens",
            "geometry+properties": "andere grens en gegevens",
        },
    }
    return staff_page(request, "beheer/generatie.html", context, user=user, key=key)


@router.get(f"{HOME}/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    session: SessionDep,
    state: StateDep,
) -> HTMLResponse:
    """Show who saw or changed what, when, in the municipality (newest first; no personal data)."""
    events = reg.audit_log(session, scope_of(user, state.current.dataset), limit=300)
    ids = {e.actor_id for e in events if e.actor_id}
    actors: dict[str, tuple[str, str]] = {}
    if ids:
        rows = session.execute(select(User.id, User.email, User.role).where(User.id.in_(ids)))
        actors = {
            str(i): (str(email), ROLE_LABELS.get(str(role), str(role))) for i, email, role in rows
        }
    context = {
        "title": "Auditlog",
        "heading": "Auditlog",
        "events": events,
        "actors": actors,
        "actions": ACTIONS,
        "objects": {
            "registration": "aanmelding",
            "proposal": "voorstel",
            "user": "account",
            "zone": "groep",
            "publication": "publicatie",
        },
    }
    return staff_page(request, "beheer/audit.html", context, user=user, key=key)
