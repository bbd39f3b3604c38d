"""``GET /api/coverage``: how much of the register the zones cover (counts only)."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import DatasetDep
from zones.coverage import Coverage, coverage

router = APIRouter(tags=["coverage"])


@router.get("/api/coverage", response_model=Coverage)
def get_coverage(dataset: DatasetDep) -> Coverage:
    """Return the share of addresses in a zone, group sizes, streets in no zone, misplaced boards."""
    return coverage(dataset)
