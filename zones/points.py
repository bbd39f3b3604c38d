"""The register's address points with their zone, for drawing: which houses a boundary includes.

A coordinator drawing on ``/voorstel`` sees every address of the view as a dot in its zone's
colour (grey: no zone). Addresses are open data (CRAB); no person is named. At most `MAX_POINTS`
per answer, so a view of all of Flanders asks to zoom in rather than ship millions of points.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, Field

from zones.dataset import Dataset
from zones.errors import LookupInputError

MAX_POINTS = 20_000
_DEGREES = r"-?\d{1,3}(?:\.\d{1,12})?"
BBOX_PATTERN = rf"^{_DEGREES}(?:,{_DEGREES}){{3}}$"


class AddressPoints(BaseModel):
    """Address positions in a box, each with its zone: ``[lat, lon, zone]`` (-1: no zone)."""

    zones: list[str] = Field(description="the zone ids that ``points`` refer to by position")
    points: list[tuple[float, float, int]]
    truncated: bool = Field(description="more addresses in the box than one answer holds")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Return a box written ``min lon,min lat,max lon,max lat``; LookupInputError when it is not one."""
    if not re.fullmatch(BBOX_PATTERN, text):
        raise LookupInputError("bbox must be four numbers: min lon,min lat,max lon,max lat")
    west, south, east, north = (float(v) for v in text.split(","))
    return west, south, east, north


def address_points(
    dataset: Dataset, bbox: tuple[float, float, float, float], limit: int = MAX_POINTS
) -> AddressPoints:
    """Return the positioned addresses in a WGS84 box (min lon, min lat, max lon, max lat)."""
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise LookupInputError("bbox must be min lon, min lat, max lon, max lat")
    register, table = dataset.register, dataset.table
    inside = (
        register.positioned
        & (register.lon >= west)
        & (register.lon <= east)
        & (register.lat >= south)
        & (register.lat <= north)
    )
    ids = np.flatnonzero(inside)
    truncated = len(ids) > limit
    ids = ids[:limit]
    primary = table.primary[ids].tolist()
    lat = np.round(register.lat[ids], 6).tolist()
    lon = np.round(register.lon[ids], 6).tolist()
    return AddressPoints(
        zones=list(table.zone_ids),
        points=[(la, lo, z) for la, lo, z in zip(lat, lon, primary, strict=True)],
        truncated=truncated,
    )
