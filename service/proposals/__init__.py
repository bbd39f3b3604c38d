"""Boundary proposals as a workflow: coordinators propose, the municipality approves or rejects.

Plain domain code (no HTTP): the JSON API (``service.routes.proposals``) and the pages call it; the
geometry and the impact report are ``zones.proposals``.

| module | holds |
|---|---|
| ``access`` | who sees which proposal (a coordinator their own, staff their municipality's) |
| ``workflow`` | submit, approve (stale check, commit, audit, follow), reject |
| ``regroup`` | members follow their addresses when an approval moves them to another zone |
"""

from __future__ import annotations

from service.proposals.access import (
    proposal_municipalities,
    staff_municipality,
    visible_proposal,
    visible_proposals,
)
from service.proposals.workflow import TakeoverUnconfirmedError, approve, audit, reject, submit

__all__ = [
    "TakeoverUnconfirmedError",
    "approve",
    "audit",
    "proposal_municipalities",
    "reject",
    "staff_municipality",
    "submit",
    "visible_proposal",
    "visible_proposals",
]
