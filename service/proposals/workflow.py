"""The proposal workflow: submit, approve, reject; each a transaction with its audit event.

A route calls one function here. Approving re-checks the proposal against the zones as they are now
(stale check), refuses a result that would not load, commits the new generation, records the
decision and the audit event, and makes the service follow the new generation.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from service.auth import ensure_zone_access
from service.mail import notices
from service.proposals.access import proposal_municipalities, staff_municipality, visible_proposal
from service.proposals.regroup import follow_addresses
from service.state import ServiceState
from service.tables import AuditEvent, Proposal, User, new_id
from zones.errors import ConflictError, ForbiddenError
from zones.generations import StaleGenerationError
from zones.proposals import (
    ProposalStateError,
    Report,
    StaleProposalError,
    changed_since,
    ensure_changes,
    ensure_valid,
    parse_proposal,
    report,
)

# A race with another instance's approval is retried (after following it) this many times in all.
APPROVE_ATTEMPTS = 3


class TakeoverUnconfirmedError(ConflictError):
    """An approval of a proposal that takes area or addresses from another group, not confirmed."""

    code = "takeover_unconfirmed"


def audit(session: Session, user: User, action: str, row: Proposal, detail: str = "") -> None:
    """Record an action on a proposal, in the log of the (first) municipality it concerns."""
    names = Report.model_validate_json(row.report_json).municipalities
    session.add(
        AuditEvent(
            actor_id=user.id,
            action=action,
            object_type="proposal",
            object_id=row.id,
            detail=detail,
            municipality=names[0] if names else None,
        )
    )


def submit(session: Session, user: User, state: ServiceState, feature: dict[str, Any]) -> Proposal:
    """Store a proposal for one's own zone or a new group, with its impact report.

    A coordinator proposes for their own (active) zone or a new group. Taking area or addresses from
    another group is allowed, as a take-over listed in the report for the municipality to confirm;
    retiring another group's zone is not (that is the municipality's act). A proposal that changes
    nothing is refused.
    """
    current = state.current
    proposal = parse_proposal(feature, current.dataset)
    if user.role == "coordinator":
        # Their own zone, or a new group; either way only while their own group exists.
        ensure_zone_access(user, proposal.zone_id or user.zone_id, current.dataset.zones)
    scope = staff_municipality(user, current.dataset)
    result, _ = report(proposal, current.dataset)
    ensure_changes(result)
    if scope is not None and not scope.includes_any(result.municipalities):
        raise ForbiddenError(
            f"this proposal concerns {', '.join(result.municipalities)}, not {scope.label}"
        )
    if user.role == "coordinator" and result.retired:
        names = ", ".join(current.dataset.zones.get(z).name for z in result.retired)
        raise ForbiddenError(
            f"dit voorstel heft {names} op: een zone opheffen is een beslissing van de gemeente"
        )
    row = Proposal(
        id=new_id(),
        zone_id=proposal.zone_id,
        name=proposal.name,
        note=proposal.note,
        feature_json=json.dumps(feature),
        units_json=proposal.units.model_dump_json() if proposal.units else None,
        status="submitted",
        base_generation=current.generation,
        created_by=user.id,
        report_json=result.model_dump_json(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "proposal.submit", row)
    notices.proposal_arrived(session, row.id, result.municipalities, user.id)
    return row


def approve(
    session: Session,
    user: User,
    state: ServiceState,
    proposal_id: str,
    *,
    confirm_takeover: bool = False,
) -> Proposal:
    """Approve a proposal: re-check it against the newest zones, then apply it in one transaction.

    The new generation, the proposal's status and the audit event commit together (or not at all).
    When another instance committed a generation meanwhile, this one follows it and checks again.
    """
    for _ in range(APPROVE_ATTEMPTS - 1):
        try:
            return _approve(session, user, state, proposal_id, confirm_takeover)
        except StaleGenerationError:
            session.rollback()
    return _approve(session, user, state, proposal_id, confirm_takeover)


def _approve(
    session: Session, user: User, state: ServiceState, proposal_id: str, confirm_takeover: bool
) -> Proposal:
    current = state.follow()  # one cheap query: another instance may have approved something
    # Locked (PostgreSQL): a second reviewer approving the same proposal waits, then finds it decided.
    row = visible_proposal(session, user, proposal_id, current.dataset, for_update=True)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    proposal = parse_proposal(json.loads(row.feature_json), current.dataset)
    fresh, after = report(proposal, current.dataset)
    if current.generation != row.base_generation:
        # The zones as they were, from the deltas since (not the whole generation read again).
        base = state.generations.zones_then(
            row.base_generation, current.generation, current.dataset.zones
        ) or state.generations.load(row.base_generation)
        changed = changed_since(proposal, base, current.dataset.zones)
        if changed:
            # A zone this proposal touches changed since it was made: the reviewer sees the new
            # impact, and nothing is applied.
            row.report_json, row.base_generation = fresh.model_dump_json(), current.generation
            audit(session, user, "proposal.stale", row, "changed: " + ", ".join(changed))
            notices.proposal_stale(
                session, row.id, proposal_municipalities(row, current.dataset), user.id
            )
            session.commit()
            raise StaleProposalError(fresh)
    ensure_changes(fresh)
    if not fresh.valid:
        # Checked here, in memory: once committed, a zone set that fails validation would be the
        # current generation, and neither this service nor a restart could load it.
        row.report_json = fresh.model_dump_json()
        audit(session, user, "proposal.invalid", row)
        session.commit()
        ensure_valid(fresh)
    if fresh.takeovers and not confirm_takeover:
        names = ", ".join(t.name for t in fresh.takeovers)
        raise TakeoverUnconfirmedError(
            f"dit voorstel neemt gebied of adressen over van {names}: "
            "keur het goed met confirm_takeover om die overname te bevestigen"
        )
    generation = state.generations.add(
        session,
        after,
        expected=current.generation,
        parent=current.dataset.zones,
        note=row.note or "",
        proposal_id=row.id,
    )
    row.status, row.decided_by, row.decided_at = "approved", user.id, dt.datetime.now(dt.UTC)
    row.result_generation, row.report_json = generation.number, fresh.model_dump_json()
    detail = f"generation {generation.number}"
    if fresh.takeovers:
        detail += "; take-over confirmed: " + ", ".join(t.zone_id for t in fresh.takeovers)
    audit(session, user, "proposal.approve", row, detail)
    follow_addresses(session, user.id, fresh.moves)
    session.commit()
    # Committed: from here the approval holds whatever happens to this process. Serving it (and
    # exporting its files) follows; a crash now is repaired at the next start-up.
    state.follow()
    return row


def reject(
    session: Session, user: User, state: ServiceState, proposal_id: str, reason: str
) -> Proposal:
    """Reject a proposal, with a reason for its author."""
    row = visible_proposal(session, user, proposal_id, state.current.dataset)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    row.status, row.decided_by, row.decided_at = "rejected", user.id, dt.datetime.now(dt.UTC)
    row.reason = reason
    audit(session, user, "proposal.reject", row)
    return row
