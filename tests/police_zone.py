"""The hand-made police zone of the tests, made into a dataset.

`tests/fixtures/pz` is PZ Kanton Borgloon (2024: Alken, Borgloon, Heers, Kortessem, Wellen) in small
files shaped like the real ones; see `tests/fixtures/README.md`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.common import DATA, FIXTURES
from zones.importing import InitReport, create_dataset

PZ = FIXTURES / "pz"


def create_pz_dataset(root: Path, *, rules: bool = False) -> InitReport:
    """Create the police zone's dataset in `root`; with `rules`, the shipped group rules beside it.

    Applications and the published rules page need the rules (the same generic text for all five).
    """
    report = create_dataset(
        root,
        PZ / "addresses.csv",
        PZ / "wijken_ggw7.geojson",
        PZ / "gemeenten_2024.geojson",
        police_zone="Kanton Borgloon",
    )
    if rules:
        for text in DATA.glob("reglement*"):
            shutil.copy(text, root / text.name)
    return report
