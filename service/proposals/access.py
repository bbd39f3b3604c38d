"""Who sees which proposal: a coordinator their own, police and municipality those of their scope.

The scope (`service.scope`) is one municipality, or every municipality of a police zone; a
proposal concerns the municipalities whose addresses it moves.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.scope import StaffScope, staff_scope
from service.tables import Proposal, User
from zones.dataset import Dataset
from zones.proposals import Report, UnknownProposalError


def staff_municipality(user: User, dataset: Dataset) -> StaffScope | None:
    """Return the scope whose proposals a staff user reviews (None for a coordinator)."""
    if user.role == "coordinator":
        return None  # a coordinator's scope is their own proposals
    return staff_scope(user, dataset)


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


def may_see(user: User, scope: StaffScope | None, row: Proposal, dataset: Dataset) -> bool:
    """Tell whether `user` (reviewing for `scope`, None for a coordinator) sees `row`."""
    if scope is None:
        return row.created_by == user.id
    return scope.includes_any(proposal_municipalities(row, dataset))


def visible_proposal(
    session: Session, user: User, proposal_id: str, dataset: Dataset, *, for_update: bool = False
) -> Proposal:
    """Return a proposal the user may see; another's or another municipality's is unknown (404).

    With `for_update` the row is locked until the transaction ends (PostgreSQL; SQLite's writer
    lock already covers the whole transaction) and read again from the database.
    """
    scope = staff_municipality(user, dataset)
    row = session.get(
        Proposal, proposal_id, with_for_update=for_update, populate_existing=for_update
    )
    if row is None or not may_see(user, scope, row, dataset):
        raise UnknownProposalError(f"unknown proposal: {proposal_id}")
    return row


def visible_proposals(session: Session, user: User, dataset: Dataset) -> list[Proposal]:
    """Return the proposals a user may see, newest first."""
    scope = staff_municipality(user, dataset)
    query = select(Proposal).order_by(Proposal.created_at.desc())
    if scope is None:
        query = query.where(Proposal.created_by == user.id)
    return [r for r in session.scalars(query) if may_see(user, scope, r, dataset)]
