"""The proposal rules of issue 12, one test per case found from outside, on real Alken zones.

- staleness by what a proposal touches: a change of geometry only (no address moves) still makes a
  proposal for the same zone stale (409 with a fresh report); a change elsewhere does not;
- an overlap with another group is an error in the report, drawn on the comparison map, and
  approved only when the municipality confirms the take-over;
- no "2 m² ligt buiten de gemeente" for a zone whose border is where it was;
- a proposal that changes nothing is refused (422, "dit voorstel verandert niets");
- a coordinator cannot retire another group's zone; when the municipality does, the retired zone's
  coordinator loses their rights and its members follow their addresses to the new group.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from maps.compare import OVERLAP_LAYER, render_proposal_map
from service.db import make_engine, make_sessionmaker
from service.tables import AuditEvent, Registration
from tests.service.apps import application
from tests.service.test_proposal_story import CONFIRM, Story, story_app, strip_feature
from zones.dataset import Dataset
from zones.proposals import TOLERANCE_M2, parse_proposal, report
from zones.schema import to_l72, to_wgs84


@pytest.fixture
def story(tmp_path: Any) -> Iterator[Story]:
    with story_app(tmp_path) as s:
        yield s


def body(zone_id: str, geometry: Any, **props: Any) -> dict[str, Any]:
    """Return a proposal request body for `zone_id` with a shapely `geometry` (WGS84)."""
    shape = shapely.set_precision(geometry, 1e-7)
    feature = {
        "type": "Feature",
        "properties": {"zone_id": zone_id, **props},
        "geometry": shapely.geometry.mapping(shape),
    }
    result: dict[str, Any] = json.loads(json.dumps(feature))
    return result


def with_empty_hole(dataset: Dataset, zone_id: str, radius_m: float = 20.0) -> Any:
    """Return a zone's shape with a hole where no address is (a change of geometry only)."""
    reg = dataset.register
    zone = dataset.zones.get(zone_id).geometry_l72
    points = shapely.points(reg.x[reg.positioned], reg.y[reg.positioned])
    tree = shapely.STRtree(points)
    inner = zone.buffer(-3 * radius_m)
    minx, miny, maxx, maxy = inner.bounds
    for x in np.linspace(minx, maxx, 40):
        for y in np.linspace(miny, maxy, 40):
            centre = shapely.Point(x, y)
            if not inner.covers(centre):
                continue
            if len(tree.query(centre, predicate="dwithin", distance=3 * radius_m)) == 0:
                return to_wgs84(shapely.difference(zone, centre.buffer(radius_m)))
    raise AssertionError(f"no empty spot in {zone_id}")


def approve(story: Story, proposal_id: str, **json_body: Any) -> Any:
    """Approve a proposal as the municipality."""
    return story.client.post(
        f"/api/proposals/{proposal_id}/approve",
        json=json_body or None,
        headers=story.headers["municipality"],
    )


def submit(story: Story, feature: dict[str, Any], who: str = "sint-joris") -> Any:
    """Submit a proposal as `who`."""
    return story.client.post("/api/proposals", json=feature, headers=story.headers[who])


def generation_numbers(story: Story) -> list[int]:
    """Return the generation numbers the service lists."""
    return [g["number"] for g in story.client.get("/api/generations").json()]


# -- staleness by what the proposal touches ---------------------------------------------------------


def test_a_change_of_geometry_only_makes_a_proposal_for_that_zone_stale(story: Story) -> None:
    dataset = story.dataset
    hole = submit(story, body("sint-joris", with_empty_hole(dataset, "sint-joris")))
    assert hole.status_code == 201, hole.text
    assert hole.json()["report"]["moves"] == []  # geometry only: no address changes group
    strip = submit(story, strip_feature(dataset)).json()
    elsewhere = submit(
        story, body("heiligenborn", with_empty_hole(dataset, "heiligenborn")), "municipality"
    ).json()

    assert approve(story, hole.json()["id"]).status_code == 200
    # The strip was drafted on generation 1: Sint-Joris changed since (a hole, no address moved),
    # so approving it as reviewed would silently fill that hole again.
    stale = approve(story, strip["id"], **CONFIRM)
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "stale_proposal"
    fresh = stale.json()["detail"]["report"]
    assert fresh["zone_id"] == "sint-joris" and fresh["takeovers"]
    assert generation_numbers(story) == [1, 2]
    stored = story.client.get(
        f"/api/proposals/{strip['id']}", headers=story.headers["municipality"]
    ).json()
    assert stored["status"] == "submitted" and stored["base_generation"] == 2

    # A proposal for a zone nobody touched since is not stale.
    assert approve(story, elsewhere["id"]).status_code == 200
    # Reviewed again against the fresh report, the strip is approved.
    assert approve(story, strip["id"], **CONFIRM).status_code == 200
    assert generation_numbers(story) == [1, 2, 3, 4]
    events = audit_actions(story, strip["id"])
    assert events == ["proposal.submit", "proposal.stale", "proposal.approve"]


def audit_actions(story: Story, proposal_id: str) -> list[str]:
    """Return the audit actions recorded about a proposal, oldest first."""
    engine = make_engine(f"sqlite:///{story.root.parent / 'wabp.sqlite'}")
    try:
        with make_sessionmaker(engine)() as session:
            query = (
                select(AuditEvent.action)
                .where(AuditEvent.object_id == proposal_id)
                .order_by(AuditEvent.id)
            )
            return list(session.scalars(query))
    finally:
        engine.dispose()


# -- overlap ------------------------------------------------------------------------------------------


def test_an_overlap_with_another_group_is_an_error_drawn_and_confirmed(story: Story) -> None:
    submitted = submit(story, strip_feature(story.dataset))
    assert submitted.status_code == 201, submitted.text
    result = submitted.json()["report"]
    [overlap] = [p for p in result["problems"] if p["code"] == "overlap"]
    assert overlap["severity"] == "error"
    assert overlap["zones"] == ["sint-joris", "terkoest"]
    assert overlap["message"].startswith("het voorstel overlapt WABP Terkoest over ")
    [taken] = result["takeovers"]
    assert taken["zone_id"] == "terkoest" and taken["area_m2"] > 10_000

    # Drawn on the comparison map, as a layer of its own.
    page = story.client.get(
        f"/proposals/{submitted.json()['id']}/map", headers=story.headers["municipality"]
    )
    assert page.status_code == 200 and OVERLAP_LAYER in page.text

    refused = approve(story, submitted.json()["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "takeover_unconfirmed"
    assert generation_numbers(story) == [1]
    assert approve(story, submitted.json()["id"], **CONFIRM).status_code == 200
    # The zones served now do not overlap: the strip left Terkoest.
    zones = {z["id"]: z for z in story.client.get("/api/zones").json()["features"]}
    a = to_l72(shapely.geometry.shape(zones["sint-joris"]["geometry"]))
    b = to_l72(shapely.geometry.shape(zones["terkoest"]["geometry"]))
    assert shapely.intersection(a, b).area < 1.0


def test_a_border_drawn_where_it_is_reports_no_area_outside_the_municipality(
    story: Story,
) -> None:
    dataset = story.dataset
    # The shipped Sint-Joris has a few m² outside the boundary (rounding along the border): noise.
    noise = shapely.difference(dataset.zones.get("sint-joris").geometry_l72, dataset.boundary_l72)
    assert 0 < noise.area < TOLERANCE_M2
    proposal = parse_proposal(body("sint-joris", with_empty_hole(dataset, "sint-joris")), dataset)
    result, after = report(proposal, dataset)
    assert result.outside_municipality_m2 == 0.0
    assert not any("buiten de gemeente" in line for line in result.summary)
    assert all(s.area_m2 >= TOLERANCE_M2 for s in result.slivers)
    assert result.takeovers == [] and not [p for p in result.problems if p.code == "overlap"]
    assert OVERLAP_LAYER not in render_proposal_map(dataset, result, after)


# -- a proposal that changes nothing ----------------------------------------------------------------


def test_a_proposal_that_changes_nothing_is_refused(story: Story) -> None:
    dataset = story.dataset
    same = body("sint-joris", dataset.zones.get("sint-joris").geometry)
    refused = submit(story, same)
    assert refused.status_code == 422, refused.text
    assert refused.json() == {"code": "no_change", "detail": "dit voorstel verandert niets"}

    # Two identical proposals: once the first is approved, the second changes nothing any more.
    first = submit(story, strip_feature(dataset)).json()
    second = submit(story, strip_feature(dataset)).json()
    assert approve(story, first["id"], **CONFIRM).status_code == 200
    stale = approve(story, second["id"], **CONFIRM)
    assert stale.status_code == 409 and stale.json()["detail"]["report"]["unchanged"]
    again = approve(story, second["id"], **CONFIRM)
    assert again.status_code == 422 and again.json()["detail"] == "dit voorstel verandert niets"
    assert generation_numbers(story) == [1, 2]


# -- take-over attempts --------------------------------------------------------------------------------


def both(dataset: Dataset) -> Any:
    """Sint-Joris and all of Terkoest as one shape: a proposal that retires Terkoest."""
    zones = dataset.zones
    return shapely.union(zones.get("sint-joris").geometry, zones.get("terkoest").geometry)


def terkoest_address(dataset: Dataset) -> str:
    """Return a positioned Terkoest address, as a resident types it."""
    reg = dataset.register
    for a in np.flatnonzero(reg.positioned).tolist():
        if dataset.table.zones_of(a) == ("terkoest",) and reg.numbers[a] > 0:
            number = reg.housenumbers[a]
            street = reg.streets[int(reg.street_of[a])].name
            if (
                len([b for s in reg.streets if s.name == street for b in reg.find(s.id, number)])
                == 1
            ):
                return f"{street} {number}, 3570 Alken"
    raise AssertionError("no Terkoest address")


def test_a_coordinator_cannot_retire_another_group(story: Story) -> None:
    attempt = submit(story, body("sint-joris", both(story.dataset)))
    assert attempt.status_code == 403, attempt.text
    assert "een zone opheffen is een beslissing van de gemeente" in attempt.json()["detail"]
    # Nor propose for the other group's zone directly.
    other = submit(story, body("terkoest", story.dataset.zones.get("sint-joris").geometry))
    assert other.status_code == 403
    assert story.client.get("/api/proposals", headers=story.headers["sint-joris"]).json() == []


def test_when_the_municipality_retires_a_zone_its_members_follow_their_addresses(
    story: Story,
) -> None:
    client, headers = story.client, story.headers
    address = terkoest_address(story.dataset)
    applied = client.post(
        "/api/registrations",
        json=application(address=address),
    )
    assert applied.status_code == 201, applied.text
    [pending] = client.get("/api/registrations?status=pending", headers=headers["police"]).json()
    rid = pending["id"]
    assert client.post(f"/api/registrations/{rid}/approve", headers=headers["police"]).is_success
    added = client.post(f"/api/groups/terkoest/members/{rid}/added", headers=headers["terkoest"])
    assert added.status_code == 200, added.text

    proposal = submit(story, body("sint-joris", both(story.dataset)), "municipality").json()
    assert proposal["report"]["retired"] == ["terkoest"]
    assert [t["zone_id"] for t in proposal["report"]["takeovers"]] == ["terkoest"]
    assert approve(story, proposal["id"], **CONFIRM).status_code == 200

    # The retired zone's coordinator has no rights left: no members, no proposals.
    members = client.get("/api/groups/terkoest/members", headers=headers["terkoest"])
    assert members.status_code == 403 and "opgeheven" in members.json()["detail"]
    again = submit(story, body("terkoest", both(story.dataset)), "terkoest")
    assert again.status_code == 403
    # The member's group follows the address: Sint-Joris, to be added to that WhatsApp group.
    engine = make_engine(f"sqlite:///{story.root.parent / 'wabp.sqlite'}")
    try:
        with make_sessionmaker(engine)() as session:
            row = session.get(Registration, rid)
            assert row is not None and (row.zone_id, row.status) == ("sint-joris", "approved")
    finally:
        engine.dispose()
    moved = client.get("/api/groups/sint-joris/members", headers=headers["sint-joris"]).json()
    assert [m["id"] for m in moved["members"]] == [rid]
