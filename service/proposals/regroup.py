"""Members follow their addresses: an approved boundary change moves their registrations along."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.registrations import audit
from service.registrations.status import ACTIVE_STATUSES
from service.tables import Registration
from zones.changes import Move


def follow_addresses(session: Session, actor_id: str, moves: list[Move]) -> int:
    """Give every open registration at a moved address the zone its address moves to.

    A member already added to the old WhatsApp group is back to approved: the new group's
    coordinator adds them (and the old one's rights on them end, as when a zone is retired).
    Returns how many registrations moved; each gets an audit event (ids and zones only).
    """
    moved: dict[tuple[str, str, str, str], str | None] = {}
    for move in moves:
        if move.from_zone is None:
            continue  # addresses in no zone had no group to follow
        for number in move.numbers:
            moved[(move.from_zone, move.street, move.postcode, number)] = move.to_zone
    if not moved:
        return 0
    query = select(Registration).where(
        Registration.zone_id.in_({key[0] for key in moved}),
        Registration.status.in_(ACTIVE_STATUSES),
    )
    count = 0
    for row in session.scalars(query):
        key = (row.zone_id or "", row.street, row.postcode, row.housenumber or "")
        if key not in moved:
            continue
        target = moved[key]
        audit(session, actor_id, "registration.regroup", row, f"{row.zone_id} -> {target or '-'}")
        row.zone_id = target
        if row.status == "added":
            row.status, row.added_at = "approved", None
        count += 1
    return count
