"""Rebuild the small place tables in ``geo/data/`` from ``../shared/data`` (run by hand, rarely).

- ``municipalities.csv``: every municipality of Flanders and Brussels with its NIS code and police
  zone, in the June 2024 (before the mergers) and the 2025 version;
- ``mergers_2025.csv``: the municipalities whose NIS code ended on 1 January 2025 and the one that
  took them over (from the 2024 and 2025 municipality polygons: where each 2024 municipality's
  representative point lies);
- ``postcode_municipality.csv``: the 2024 municipality of each postcode (BOSA's NIS-ZIP-CITY table
  of 2018; its municipality points located in the 2024 polygons, which also covers the 2019
  mergers).

Usage: ``.venv/bin/python tools/build_place_tables.py [../shared/data]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "geo" / "data"


def main(shared: Path) -> None:
    """Write the three tables from the shared data directory."""
    pi = shared / "provinciesincijfers_gebiedsniveaus"
    rows = []
    for version, name_column in (("2024", "Name gemeente_2019"), ("2025", "Name gemeente")):
        stamp = "2024-06" if version == "2024" else "2025"
        table = pd.read_csv(pi / "tables" / f"gemeente_politiezone_{stamp}.csv", dtype=str)
        for _, r in table.iterrows():
            rows.append(
                {
                    "version": version,
                    "nis": r["gemeente"],
                    "name": r[name_column],
                    "police_zone_code": r["politiezone"],
                    "police_zone": r["Name samenwerking politie"],
                }
            )
    pd.DataFrame(rows).to_csv(OUT / "municipalities.csv", index=False)

    g24 = gpd.read_file(pi / "shapefiles" / "gemeente2024.shp")
    g25 = gpd.read_file(pi / "shapefiles" / "gemeente.shp")
    g24["gemeente"] = g24["gemeente"].astype(str)
    g25["geoitem"] = g25["geoitem"].astype(str)
    gone = g24[~g24["gemeente"].isin(set(g25["geoitem"]))].copy()
    gone["geometry"] = gone.representative_point()
    joined = gpd.sjoin(gone, g25, predicate="within")
    mergers = pd.DataFrame(
        {
            "nis_2024": joined["gemeente"],
            "name_2024": joined["naam_left"],
            "nis_2025": joined["geoitem"],
            "name_2025": joined["naam_right"],
        }
    ).sort_values(["name_2025", "name_2024"])
    mergers.to_csv(OUT / "mergers_2025.csv", index=False)

    bosa = pd.read_csv(shared / "bosa_nis_zip_city_2018" / "city_optie_3b_all_data.csv", dtype=str)
    points = gpd.GeoDataFrame(
        bosa[["Postcode"]],
        geometry=gpd.points_from_xy(bosa["L_CITY"].astype(float), bosa["N_CITY"].astype(float)),
        crs="EPSG:4326",
    ).to_crs(g24.crs)
    located = gpd.sjoin(points, g24, predicate="within")
    table = (
        pd.DataFrame(
            {
                "postcode": located["Postcode"],
                "nis_2024": located["gemeente"],
                "name_2024": located["naam"],
            }
        )
        .drop_duplicates()
        .sort_values(["postcode", "nis_2024"])
    )
    table.to_csv(OUT / "postcode_municipality.csv", index=False)
    print(f"{len(rows)} municipality rows, {len(mergers)} mergers, {len(table)} postcode rows")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data").resolve())
