"""A proposal report read on the recomputed addresses only equals one read on the whole register.

The report compares the tables before and after on the rows the zone side recomputed
(`ZoneSide.changed_rows`); forcing a whole new zone side (every row) must give the same report, for
grown, shrunk and new zones of the Alken dataset.
"""

from __future__ import annotations

import pytest
import shapely

import zones.zone_side
from zones.dataset import Dataset
from zones.proposals import Proposal, report
from zones.schema import to_l72, to_wgs84


def proposals(alken: Dataset) -> list[Proposal]:
    """Return each zone grown by 30 m and shrunk by 40 m, and a new group across two zones."""
    out = []
    for zone in alken.zones.active():
        for metres in (30.0, -40.0):
            shape = to_wgs84(to_l72(zone.geometry).buffer(metres))
            if not shape.is_empty:
                out.append(
                    Proposal(zone_id=zone.id, name=None, area=None, note=None, geometry=shape)
                )
    a, b = alken.zones.active()[:2]
    middle = shapely.shortest_line(a.geometry_l72, b.geometry_l72).centroid.buffer(150.0)
    out.append(
        Proposal(
            zone_id=None, name="WABP Tussenin", area=None, note=None, geometry=to_wgs84(middle)
        )
    )
    return out


@pytest.mark.parametrize("which", range(19))
def test_a_report_from_the_changed_rows_is_the_report_from_all_rows(
    alken: Dataset, which: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates = proposals(alken)
    if which >= len(candidates):
        pytest.skip("fewer proposals in this dataset")
    proposal = candidates[which]
    from_delta, zones_delta = report(proposal, alken)
    # `changed_zones` answering None makes every new zone side a whole one (changed_rows None).
    monkeypatch.setattr(zones.zone_side, "changed_zones", lambda before, after: None)
    from_all, zones_all = report(proposal, alken)
    assert from_delta.model_dump() == from_all.model_dump()
    assert [z.id for z in zones_delta] == [z.id for z in zones_all]
    # And as the tables' own members say, read on the whole register.
    after = Dataset.build(alken.paths, alken.meta, alken.register, zones_all, strict=False)
    for size in from_delta.group_sizes:
        assert size.before == len(alken.table.members(size.zone_id))
        assert size.after == len(after.table.members(size.zone_id))
    target = set(after.table.members(from_delta.zone_id).tolist())
    for overlap in from_delta.overlaps:
        before = set(alken.table.members(overlap.zone_id).tolist())
        assert overlap.addresses == len(before & target)
