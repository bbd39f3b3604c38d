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
from service.state import ServiceState
from service.tables import AuditEvent, Proposal, User, new_id
from zones.errors import ForbiddenError
from zones.proposals import (
    ProposalStateError,
    Report,
    StaleProposalError,
    ensure_valid,
    parse_proposal,
    report,
)


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
    """Store a proposal for one's own zone or a new group, with its impact report."""
    current = state.current
    proposal = parse_proposal(feature, current.dataset)
    if proposal.zone_id is not None:
        ensure_zone_access(user, proposal.zone_id)
    scope = staff_municipality(user, current.dataset)
    result, _ = report(proposal, current.dataset)
    if scope is not None and not scope.includes_any(result.municipalities):
        raise ForbiddenError(
            f"this proposal concerns {', '.join(result.municipalities)}, not {scope.label}"
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


def approve(session: Session, user: User, state: ServiceState, proposal_id: str) -> Proposal:
    """Approve a proposal: re-check it against the zones as they are now, then apply it atomically."""
    current = state.current
    row = visible_proposal(session, user, proposal_id, current.dataset)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    proposal = parse_proposal(json.loads(row.feature_json), current.dataset)
    fresh, after = report(proposal, current.dataset)
    if current.generation != row.base_generation:
        stored = Report.model_validate_json(row.report_json)
        if [m.model_dump() for m in fresh.moves] != [m.model_dump() for m in stored.moves]:
            # Another approval changed what this one would do: show the new impact, change nothing.
            row.report_json, row.base_generation = fresh.model_dump_json(), current.generation
            audit(session, user, "proposal.stale", row)
            notices.proposal_stale(
                session, row.id, proposal_municipalities(row, current.dataset), user.id
            )
            session.commit()
            raise StaleProposalError(fresh)
    if not fresh.valid:
        # Checked here, in memory: once committed, a zone set that fails validation would be the
        # current generation, and neither this service nor a restart could load it.
        row.report_json = fresh.model_dump_json()
        audit(session, user, "proposal.invalid", row)
        session.commit()
        ensure_valid(fresh)
    generation = state.store.commit(
        after, note=row.note or "", source=f"proposal:{row.id}", expected=current.generation
    )
    state.reload()
    row.status, row.decided_by, row.decided_at = "approved", user.id, dt.datetime.now(dt.UTC)
    row.result_generation, row.report_json = generation.number, fresh.model_dump_json()
    audit(session, user, "proposal.approve", row, f"generation {generation.number}")
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
