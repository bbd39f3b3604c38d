"""``/api/proposals``: coordinators propose boundaries, the municipality approves or rejects them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import ensure_zone_access, require_role
from service.db import SessionDep
from service.deps import StateDep
from service.tables import AuditEvent, Proposal, Role, User
from zones.proposals import (
    ProposalStateError,
    Report,
    StaleProposalError,
    UnknownProposalError,
    parse_proposal,
    report,
)

router = APIRouter(prefix="/api/proposals", tags=["proposals"])

# Who may read proposals; the comparison map (service/routes/proposal_pages.py) checks the same.
READERS: tuple[Role, ...] = ("coordinator", "municipality", "police")
Proposer = Annotated[User, Depends(require_role("coordinator", "municipality"))]
Reviewer = Annotated[User, Depends(require_role("municipality"))]
Reader = Annotated[User, Depends(require_role(*READERS))]


class ProposalOut(BaseModel):
    """A proposal as its author and the reviewers see it."""

    id: str
    zone_id: str | None
    name: str | None
    note: str | None
    status: str
    base_generation: int
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str | None
    result_generation: int | None
    report: Report

    @classmethod
    def from_row(cls, row: Proposal) -> ProposalOut:
        """Build the public view of a stored proposal."""
        return cls(
            id=row.id,
            zone_id=row.zone_id,
            name=row.name,
            note=row.note,
            status=row.status,
            base_generation=row.base_generation,
            created_at=row.created_at,
            decided_at=row.decided_at,
            reason=row.reason,
            result_generation=row.result_generation,
            report=Report.model_validate_json(row.report_json),
        )


class Rejection(BaseModel):
    """Why the municipality rejects a proposal."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)


def _audit(session: Any, user: User, action: str, proposal_id: str, detail: str = "") -> None:
    session.add(
        AuditEvent(
            actor_id=user.id,
            action=action,
            object_type="proposal",
            object_id=proposal_id,
            detail=detail,
        )
    )


def visible_proposal(session: Session, user: User, proposal_id: str) -> Proposal:
    """Return a proposal the user may see; someone else's is as unknown as a missing one (404)."""
    row = session.get(Proposal, proposal_id)
    if row is None or (user.role == "coordinator" and row.created_by != user.id):
        raise UnknownProposalError(f"unknown proposal: {proposal_id}")
    return row


@router.post("", status_code=201, response_model=ProposalOut)
def submit(
    feature: Annotated[
        dict[str, Any],
        Body(
            description="GeoJSON Feature: properties.zone_id or .name, optional note; geometry or units"
        ),
    ],
    user: Proposer,
    state: StateDep,
    session: SessionDep,
) -> ProposalOut:
    """Submit a boundary proposal for one's own zone or a new group; answers with its impact report."""
    current = state.current
    proposal = parse_proposal(feature, current.dataset)
    if proposal.zone_id is not None:
        ensure_zone_access(user, proposal.zone_id)
    result, _ = report(proposal, current.dataset)
    row = Proposal(
        id=uuid.uuid4().hex,
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
    _audit(session, user, "proposal.submit", row.id)
    return ProposalOut.from_row(row)


@router.get("", response_model=list[ProposalOut])
def list_proposals(user: Reader, session: SessionDep) -> list[ProposalOut]:
    """List proposals: a coordinator sees their own, the municipality and police see all."""
    query = select(Proposal).order_by(Proposal.created_at.desc())
    if user.role == "coordinator":
        query = query.where(Proposal.created_by == user.id)
    return [ProposalOut.from_row(r) for r in session.scalars(query)]


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(proposal_id: str, user: Reader, session: SessionDep) -> ProposalOut:
    """Return one proposal with its report."""
    return ProposalOut.from_row(visible_proposal(session, user, proposal_id))


@router.post("/{proposal_id}/approve", response_model=ProposalOut)
def approve(proposal_id: str, user: Reviewer, state: StateDep, session: SessionDep) -> ProposalOut:
    """Approve a proposal: re-check it against the zones as they are now, then apply it atomically."""
    row = visible_proposal(session, user, proposal_id)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    current = state.current
    proposal = parse_proposal(json.loads(row.feature_json), current.dataset)
    fresh, after = report(proposal, current.dataset)
    if current.generation != row.base_generation:
        stored = Report.model_validate_json(row.report_json)
        if [m.model_dump() for m in fresh.moves] != [m.model_dump() for m in stored.moves]:
            # Another approval changed what this one would do: show the new impact, change nothing.
            row.report_json, row.base_generation = fresh.model_dump_json(), current.generation
            _audit(session, user, "proposal.stale", row.id)
            session.commit()
            raise StaleProposalError(fresh)
    generation = state.store.commit(
        after, note=row.note or "", source=f"proposal:{row.id}", expected=current.generation
    )
    state.reload()
    row.status, row.decided_by, row.decided_at = "approved", user.id, dt.datetime.now(dt.UTC)
    row.result_generation, row.report_json = generation.number, fresh.model_dump_json()
    _audit(session, user, "proposal.approve", row.id, f"generation {generation.number}")
    return ProposalOut.from_row(row)


@router.post("/{proposal_id}/reject", response_model=ProposalOut)
def reject(
    proposal_id: str, rejection: Rejection, user: Reviewer, session: SessionDep
) -> ProposalOut:
    """Reject a proposal, with a reason for its author."""
    row = visible_proposal(session, user, proposal_id)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    row.status, row.decided_by, row.decided_at = "rejected", user.id, dt.datetime.now(dt.UTC)
    row.reason = rejection.reason
    _audit(session, user, "proposal.reject", row.id)
    return ProposalOut.from_row(row)
