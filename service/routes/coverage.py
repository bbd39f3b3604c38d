"""``GET /api/coverage`` and ``GET /dekking``: how much of the register the zones cover (counts only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from maps.sitepages import render_coverage_page
from service.deps import DatasetDep
from zones.coverage import Coverage, coverage

router = APIRouter(tags=["coverage"])


@router.get("/api/coverage", response_model=Coverage)
def get_coverage(dataset: DatasetDep) -> Coverage:
    """Return the share of addresses in a zone, group sizes, streets in no zone, misplaced boards."""
    return coverage(dataset)


@router.get("/dekking", response_class=HTMLResponse, include_in_schema=False)
def coverage_page(dataset: DatasetDep) -> HTMLResponse:
    """Serve the coverage page for the municipality (Dutch)."""
    html = render_coverage_page(
        coverage(dataset), municipality=dataset.meta.name, asset_base="/static"
    )
    return HTMLResponse(html)
