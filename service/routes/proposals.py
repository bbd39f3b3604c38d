"""``/api/proposals``: coordinators propose boundaries, the municipality approves or rejects them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from service import proposals
from service.auth import require_role
from service.db import SessionDep
from service.deps import DatasetDep, StateDep
from service.tables import Proposal, Role, User
from zones.proposals import Report

router = APIRouter(prefix="/api/proposals", tags=["proposals"])

# Who may read proposals; the comparison map (service/routes/proposal_pages.py) checks the same.
READERS: tuple[Role, ...] = ("coordinator", "municipality", "police")
Proposer = Annotated[User, Depends(require_role("coordinator", "municipality"))]
Reviewer = Annotated[User, Depends(require_role("municipality"))]
Reader = Annotated[User, Depends(require_role(*READERS))]
# Ids are uuid4().hex; the bound keeps a long path out of the database query and the 404 body.
ProposalId = Annotated[str, Path(min_length=1, max_length=32)]


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


class Approval(BaseModel):
    """The municipality's approval; a take-over of another group's area must be confirmed."""

    model_config = ConfigDict(extra="forbid")

    confirm_takeover: bool = Field(
        default=False,
        description="confirm the report's take-overs (area or addresses of other groups)",
    )


class Rejection(BaseModel):
    """Why the municipality rejects a proposal."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)


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
    row = proposals.submit(session, user, state, feature)
    session.commit()  # before answering: a 201 means stored
    return ProposalOut.from_row(row)


@router.get("", response_model=list[ProposalOut])
def list_proposals(user: Reader, session: SessionDep, dataset: DatasetDep) -> list[ProposalOut]:
    """List proposals: a coordinator's own, or those of the staff user's municipality."""
    return [ProposalOut.from_row(r) for r in proposals.visible_proposals(session, user, dataset)]


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(
    proposal_id: ProposalId, user: Reader, session: SessionDep, dataset: DatasetDep
) -> ProposalOut:
    """Return one proposal with its report."""
    return ProposalOut.from_row(proposals.visible_proposal(session, user, proposal_id, dataset))


@router.post("/{proposal_id}/approve", response_model=ProposalOut)
def approve(
    proposal_id: ProposalId,
    user: Reviewer,
    state: StateDep,
    session: SessionDep,
    approval: Annotated[Approval | None, Body()] = None,
) -> ProposalOut:
    """Approve a proposal: re-check it against the zones as they are now, then apply it atomically."""
    confirm = approval is not None and approval.confirm_takeover
    row = proposals.approve(session, user, state, proposal_id, confirm_takeover=confirm)
    session.commit()  # committed already with its generation; nothing is left to write
    return ProposalOut.from_row(row)


@router.post("/{proposal_id}/reject", response_model=ProposalOut)
def reject(
    proposal_id: ProposalId,
    rejection: Rejection,
    user: Reviewer,
    session: SessionDep,
    state: StateDep,
) -> ProposalOut:
    """Reject a proposal, with a reason for its author."""
    row = proposals.reject(session, user, state, proposal_id, rejection.reason)
    session.commit()
    return ProposalOut.from_row(row)
