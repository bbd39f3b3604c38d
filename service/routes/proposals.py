"""``/api/proposals``: coordinators propose boundaries, the municipality approves or rejects them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import ForbiddenError, ensure_zone_access, require_role
from service.db import SessionDep
from service.deps import DatasetDep, StateDep
from service.tables import AuditEvent, Proposal, Role, User
from zones.dataset import Dataset
from zones.proposals import (
    ProposalStateError,
    Report,
    StaleProposalError,
    UnknownProposalError,
    ensure_valid,
    parse_proposal,
    report,
)

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


def staff_municipality(user: User) -> str | None:
    """Return the municipality whose proposals a staff user reviews (None for a coordinator)."""
    if user.role == "coordinator":
        return None  # a coordinator's scope is their own proposals
    if not user.municipality:
        raise ForbiddenError(
            "this account belongs to no municipality, so it reviews no proposals: "
            "wabp users add ... --municipality NAME"
        )
    return user.municipality


def proposal_municipalities(row: Proposal, dataset: Dataset) -> list[str]:
    """Return the municipalities a stored proposal concerns (as its report says)."""
    names = Report.model_validate_json(row.report_json).municipalities
    if names:
        return names
    # Reported before reports named them: the addresses of its zone now, else the dataset's own.
    reg, table = dataset.register, dataset.table
    if row.zone_id is not None and row.zone_id in table.zone_ids:
        z = table.zone_ids.index(row.zone_id)
        streets = {int(s) for s in reg.street_of[table.primary == z].tolist()}
        names = sorted({reg.streets[s].municipality for s in streets} - {""})
    return names or [dataset.meta.name]


def _may_see(user: User, municipality: str | None, row: Proposal, dataset: Dataset) -> bool:
    if municipality is None:
        return row.created_by == user.id
    return municipality in proposal_municipalities(row, dataset)


def visible_proposal(session: Session, user: User, proposal_id: str, dataset: Dataset) -> Proposal:
    """Return a proposal the user may see; another's or another municipality's is unknown (404)."""
    municipality = staff_municipality(user)
    row = session.get(Proposal, proposal_id)
    if row is None or not _may_see(user, municipality, row, dataset):
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
    municipality = staff_municipality(user)
    result, _ = report(proposal, current.dataset)
    if municipality is not None and municipality not in result.municipalities:
        raise ForbiddenError(
            f"this proposal concerns {', '.join(result.municipalities)}, not {municipality}"
        )
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
def list_proposals(user: Reader, session: SessionDep, dataset: DatasetDep) -> list[ProposalOut]:
    """List proposals: a coordinator's own, or those of the staff user's municipality."""
    municipality = staff_municipality(user)
    query = select(Proposal).order_by(Proposal.created_at.desc())
    if municipality is None:
        query = query.where(Proposal.created_by == user.id)
    rows = session.scalars(query)
    return [ProposalOut.from_row(r) for r in rows if _may_see(user, municipality, r, dataset)]


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(
    proposal_id: ProposalId, user: Reader, session: SessionDep, dataset: DatasetDep
) -> ProposalOut:
    """Return one proposal with its report."""
    return ProposalOut.from_row(visible_proposal(session, user, proposal_id, dataset))


@router.post("/{proposal_id}/approve", response_model=ProposalOut)
def approve(
    proposal_id: ProposalId, user: Reviewer, state: StateDep, session: SessionDep
) -> ProposalOut:
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
            _audit(session, user, "proposal.stale", row.id)
            session.commit()
            raise StaleProposalError(fresh)
    if not fresh.valid:
        # Checked here, in memory: once committed, a zone set that fails validation would be the
        # current generation on disk, and neither this service nor a restart could load it.
        row.report_json = fresh.model_dump_json()
        _audit(session, user, "proposal.invalid", row.id)
        session.commit()
        ensure_valid(fresh)
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
    proposal_id: ProposalId,
    rejection: Rejection,
    user: Reviewer,
    session: SessionDep,
    dataset: DatasetDep,
) -> ProposalOut:
    """Reject a proposal, with a reason for its author."""
    row = visible_proposal(session, user, proposal_id, dataset)
    if row.status != "submitted":
        raise ProposalStateError(f"proposal {proposal_id} is already {row.status}")
    row.status, row.decided_by, row.decided_at = "rejected", user.id, dt.datetime.now(dt.UTC)
    row.reason = rejection.reason
    _audit(session, user, "proposal.reject", row.id)
    return ProposalOut.from_row(row)
