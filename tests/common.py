"""Named test geometry shared by the geo and zones tests (WGS84, inside Alken).

Two squares share the meridian 5.29 E; ``point_on_border`` lies on that edge and is a vertex of both
squares, so it stays exactly on the border after projection to Lambert 72 (a point between two
vertices could land a few nanometres off the projected edge).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.register import AddressRegister

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path(__file__).resolve().parent.parent / "data"  # the shipped Alken dataset

# West square, 5.28-5.29 E x 50.87-50.88 N (about 700 m x 1100 m), with the border midpoint as vertex.
zone_a = Polygon([(5.28, 50.87), (5.29, 50.87), (5.29, 50.875), (5.29, 50.88), (5.28, 50.88)])
# East square, 5.29-5.30 E, sharing zone_a's east edge (same vertices, opposite direction).
zone_b_sharing_edge = Polygon(
    [(5.29, 50.87), (5.30, 50.87), (5.30, 50.88), (5.29, 50.88), (5.29, 50.875)]
)
point_on_border = Point(5.29, 50.875)
point_in_a = Point(5.285, 50.875)
point_in_b = Point(5.295, 50.875)
point_outside = Point(5.31, 50.875)  # east of both squares, still in Alken

# A square with a square hole in the middle (5.30-5.31 E, 50.88-50.89 N; hole 5.303-5.307 x 50.883-50.887).
zone_with_hole = Polygon(
    [(5.30, 50.88), (5.31, 50.88), (5.31, 50.89), (5.30, 50.89)],
    holes=[[(5.303, 50.883), (5.303, 50.887), (5.307, 50.887), (5.307, 50.883)]],
)
point_in_hole = Point(5.305, 50.885)
point_in_ring = Point(5.301, 50.885)  # between the outer ring and the hole

# Two disjoint parts, south of the squares.
zone_multi = MultiPolygon(
    [
        Polygon([(5.28, 50.86), (5.285, 50.86), (5.285, 50.865), (5.28, 50.865)]),
        Polygon([(5.29, 50.86), (5.295, 50.86), (5.295, 50.865), (5.29, 50.865)]),
    ]
)
point_in_second_part = Point(5.2925, 50.8625)
point_between_parts = Point(5.2875, 50.8625)


def feature(zone_id: str, geometry: Any, **props: Any) -> dict[str, Any]:
    """Return a zone Feature dict as parsed from JSON (geometry: shapely object or GeoJSON mapping).

    The geometry goes through JSON so that coordinates are lists, as they are when read from a file:
    the strict schema refuses the tuples of `shapely.geometry.mapping`.
    """
    if not isinstance(geometry, dict):
        geometry = shapely.geometry.mapping(geometry)
    geometry = json.loads(json.dumps(geometry))
    return {
        "type": "Feature",
        "properties": {"id": zone_id, "name": f"WABP {zone_id.title()}", **props},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection dict."""
    return {"type": "FeatureCollection", "features": list(features)}


def register(
    *rows: tuple[str, str, float | None, float | None]
    | tuple[str, str, float | None, float | None, str],
) -> AddressRegister:
    """Build an address register from (street, housenumber, lon, lat[, postcode]) rows (lon/lat may be None)."""
    records = []
    for row in rows:
        street, number, lon, lat = row[:4]
        postcode = row[4] if len(row) == 5 else "3570"
        records.append(
            {
                "postcode": postcode,
                "municipality": "Alken" if postcode == "3570" else "Elders",
                "street": street,
                "housenumber": number,
                "lat": "" if lat is None else repr(lat),
                "lon": "" if lon is None else repr(lon),
            }
        )
    return AddressRegister.from_frame(pd.DataFrame(records), source="test rows")
