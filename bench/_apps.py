"""The two apps ``bench/core.py`` serves with uvicorn: wabp, and the bare-framework baseline.

``wabp()`` is `service.app.create_app` on ``WABP_DATA_DIR``. ``baseline()`` is the least a lookup
service can do per request on the same dataset: a dict hit for an address and an STRtree
point-in-polygon for a point, answered with FastAPI's defaults. Both are factories
(``uvicorn --factory``), so each worker builds its own state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI


def wabp() -> Any:
    """Return the wabp app for ``WABP_DATA_DIR``."""
    from service.app import create_app
    from service.settings import Settings

    return create_app(Settings(_env_file=None))  # type: ignore[call-arg]


def baseline() -> FastAPI:
    """Return the minimal FastAPI app: a dict of addresses and an STRtree of the zones."""
    from geo.crs import LonLat, to_lambert72
    from zones.dataset import Dataset

    ds = Dataset.load(Path(os.environ["WABP_DATA_DIR"]))
    reg, table = ds.register, ds.table
    by_text: dict[str, list[str]] = {}
    for a in range(len(reg)):
        street = reg.streets[int(reg.street_of[a])]
        by_text[f"{street.name} {reg.housenumbers[a]}, {street.postcode}".lower()] = list(
            table.zones_of(a)
        )
    tree = ds.index
    app = FastAPI()

    @app.get("/api/lookup")
    def lookup(
        q: str | None = None, lat: float | None = None, lon: float | None = None
    ) -> dict[str, Any]:
        if q is not None:
            return {"status": "found", "zones": by_text.get(q.lower(), [])}
        p = to_lambert72(LonLat(lon or 0.0, lat or 0.0))
        return {"status": "found", "zones": tree.covering(p)}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
