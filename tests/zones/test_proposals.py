"""Boundary proposals: parsing and bad input, the impact report, applying one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import shapely
import shapely.ops

from tests.conftest import DATA
from zones.dataset import Dataset
from zones.errors import ZoneValidationError
from zones.proposals import (
    InvalidResultError,
    InvalidShapeError,
    ProposalError,
    ensure_valid,
    parse_proposal,
    report,
)
from zones.storage import dump_geojson, zones_to_geojson


@pytest.fixture(scope="module")
def alken() -> Dataset:
    return Dataset.load(DATA)


def feature(geometry: Any, **props: Any) -> dict[str, Any]:
    # Through JSON, as a request body arrives (shapely's mapping() holds tuples).
    return json.loads(json.dumps({"type": "Feature", "properties": props, "geometry": geometry}))


def border_grab(ds: Dataset) -> shapely.Geometry:
    """Sint-Joris plus the strip of Terkoest within ~200 m of it."""
    sj, tk = ds.zones.get("sint-joris"), ds.zones.get("terkoest")
    strip = shapely.intersection(sj.geometry.buffer(0.003), tk.geometry)
    return shapely.set_precision(shapely.union(sj.geometry, strip), 1e-7)


def test_report_lists_exactly_the_addresses_that_move(alken: Dataset) -> None:
    grab = border_grab(alken)
    proposal = parse_proposal(feature(shapely.geometry.mapping(grab), zone_id="sint-joris"), alken)
    result, after = report(proposal, alken)
    after_ds = alken.with_zones(after)
    expected = {
        a
        for a in range(len(alken.register))
        if alken.table.zones_of(a) != after_ds.table.zones_of(a)
    }
    listed = sum(m.count for m in result.moves)
    assert listed == len(expected) > 0
    assert all(m.from_zone == "terkoest" and m.to_zone == "sint-joris" for m in result.moves)
    assert result.gained == {"sint-joris": listed}
    assert result.lost == {"terkoest": listed}
    assert [o.zone_id for o in result.overlaps] == ["terkoest"]
    assert result.overlaps[0].addresses == listed
    assert any(m.text.startswith("verplaatst Lindestraat") for m in result.moves)


def test_applied_zones_do_not_overlap(alken: Dataset) -> None:
    proposal = parse_proposal(
        feature(shapely.geometry.mapping(border_grab(alken)), zone_id="sint-joris"), alken
    )
    _, after = report(proposal, alken)
    from zones.validate import check_overlaps

    assert check_overlaps(after) == []


def test_new_group_from_units(alken: Dataset) -> None:
    units = {"streets": [{"name": "Grootstraat", "numbers": "odd"}]}
    proposal = parse_proposal(
        {
            "type": "Feature",
            "properties": {"name": "WABP Grootstraat"},
            "geometry": None,
            "units": units,
        },
        alken,
    )
    result, after = report(proposal, alken)
    assert result.new_group and result.zone_id == "grootstraat"
    assert sum(m.count for m in result.moves) == sum(
        1
        for a in range(len(alken.register))
        if alken.register.streets[int(alken.register.street_of[a])].name == "Grootstraat"
        and alken.register.numbers[a] % 2 == 1
        and not alken.table.zones_of(a)
        and (alken.register.positioned[a] or alken.with_zones(after).table.zones_of(a))
    )
    assert "grootstraat" in after


def test_streets_taken_from_another_group_are_counted_in_addresses_not_area(
    alken: Dataset,
) -> None:
    # Heiligenborn by streets, with the Terkoest numbers of Stationsstraat: no area of Terkoest's
    # polygon is taken, its addresses are.
    streets = [
        {"name": "Heiligenbornstraat", "postcode": "3570"},
        {"name": "Stationsstraat", "postcode": "3570", "numbers": {"from": 1, "to": 28}},
    ]
    proposal = parse_proposal(
        {
            "type": "Feature",
            "properties": {"zone_id": "heiligenborn"},
            "geometry": None,
            "units": {"streets": streets},
        },
        alken,
    )
    result, _ = report(proposal, alken)
    (taken,) = result.takeovers
    assert taken.zone_id == "terkoest" and taken.addresses > 0 and round(taken.area_m2) == 0
    words = f"{taken.addresses} adressen over van WABP Terkoest"
    assert f"neemt {words}: de gemeente moet dit bevestigen" in result.summary
    (problem,) = [p for p in result.problems if p.code == "overlap"]
    assert problem.message.startswith(f"het voorstel neemt {words}")
    assert not any("0 m²" in line for line in [*result.summary, problem.message])


def test_neighbours_that_only_share_a_border_are_left_alone(alken: Dataset) -> None:
    proposal = parse_proposal(
        feature(shapely.geometry.mapping(border_grab(alken)), zone_id="sint-joris"), alken
    )
    _, after = report(proposal, alken)
    changed = {z.id for z in alken.zones if z.props != after.get(z.id).props}
    assert changed == {"sint-joris", "terkoest"}


def test_a_zone_swallowed_whole_is_retired_and_the_result_loads(
    alken: Dataset, tmp_path: Path
) -> None:
    sint_joris, heiligenborn = alken.zones.get("sint-joris"), alken.zones.get("heiligenborn")
    merged = shapely.set_precision(shapely.union(sint_joris.geometry, heiligenborn.geometry), 1e-7)
    proposal = parse_proposal(
        feature(shapely.geometry.mapping(merged), zone_id="sint-joris"), alken
    )
    result, after = report(proposal, alken)
    assert result.retired == ["heiligenborn"]
    assert after.get("heiligenborn").props.status == "retired"
    assert "WABP Heiligenborn verdwijnt: de zone ligt helemaal in het voorstel" in result.summary
    assert result.infoborden_outside == ["infobord-heiligenborn"]
    assert result.lost == {"heiligenborn": alken.table.counts()["heiligenborn"]}
    # The zone set it gives is a valid dataset (an empty geometry would not even load).
    root = tmp_path / "data"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns("wabp.sqlite*", ".cache"))
    (root / "zones.geojson").write_text(dump_geojson(zones_to_geojson(after)), encoding="utf-8")
    loaded = Dataset.load(root)
    assert "heiligenborn" not in {z.id for z in loaded.zones.active()}
    assert set(loaded.table.counts()) == {z.id for z in loaded.zones.active()}


SQUARE = [[5.27, 50.87], [5.28, 50.87], [5.28, 50.875], [5.27, 50.875], [5.27, 50.87]]


@pytest.mark.parametrize(
    ("geometry", "props", "message"),
    [
        pytest.param(
            {"type": "GeometryCollection", "geometries": []},
            {"zone_id": "kolmen"},
            "Polygon or MultiPolygon",
            id="GeometryCollection",
        ),
        pytest.param(
            {"type": "Point", "coordinates": [5.27, 50.87]},
            {"zone_id": "kolmen"},
            "Polygon or MultiPolygon",
            id="Point",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[*p, 10.0] for p in SQUARE]]},
            {"zone_id": "kolmen"},
            "no height",
            id="3D",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in SQUARE]]},
            {"zone_id": "kolmen"},
            "swapped",
            id="swapped",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]]],
            },
            {"zone_id": "kolmen"},
            "outside Belgium",
            id="Paris",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[5.27, 50.87], [5.28, False], [5.28, 50.875], [5.27, 50.87]]],
            },
            {"zone_id": "kolmen"},
            "valid number",
            id="false as coordinate",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [SQUARE]},
            {},
            "zone_id",
            id="neither zone_id nor name",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [SQUARE]},
            {"zone_id": "kolmen", "name": "x"},
            "not both",
            id="both",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [SQUARE]},
            {"zone_id": "kolmen", "colour": "red"},
            "Extra inputs",
            id="unknown property",
        ),
    ],
)
def test_bad_proposals_are_refused_with_a_reason(
    alken: Dataset, geometry: Any, props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProposalError, match=message):
        parse_proposal(feature(geometry, **props), alken)


def test_self_intersecting_offers_a_repair(alken: Dataset) -> None:
    bowtie = [[5.27, 50.87], [5.28, 50.875], [5.28, 50.87], [5.27, 50.875], [5.27, 50.87]]
    with pytest.raises(InvalidShapeError) as info:
        parse_proposal(
            feature({"type": "Polygon", "coordinates": [bowtie]}, zone_id="kolmen"), alken
        )
    assert "Self-intersection" in info.value.reason
    repaired = shapely.geometry.shape(info.value.repaired)
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"


def test_unknown_zone(alken: Dataset) -> None:
    with pytest.raises(ProposalError, match="unknown zone id 'nope'"):
        parse_proposal(feature({"type": "Polygon", "coordinates": [SQUARE]}, zone_id="nope"), alken)


def test_cli_propose_prints_the_report(tmp_path: Path, alken: Dataset) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    path = tmp_path / "p.geojson"
    path.write_text(
        json.dumps(feature(shapely.geometry.mapping(border_grab(alken)), zone_id="sint-joris"))
    )
    result = CliRunner().invoke(app, ["propose", str(path), "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "verplaatst" in result.stdout and "WABP Terkoest" in result.stdout


def half_outside(ds: Dataset) -> shapely.Geometry:
    """Heiligenborn plus a square across the nearest stretch of the municipality border."""
    heiligenborn = ds.zones.get("heiligenborn").geometry
    assert ds.boundary is not None
    border = ds.boundary.boundary
    corner = shapely.ops.nearest_points(border, heiligenborn)[0]
    square = shapely.box(corner.x - 0.004, corner.y - 0.004, corner.x + 0.004, corner.y + 0.004)
    return shapely.set_precision(shapely.union(heiligenborn, square), 1e-7)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        pytest.param({"type": "Polygon", "coordinates": []}, "empty", id="empty-Polygon"),
        pytest.param({"type": "MultiPolygon", "coordinates": []}, "empty", id="empty-MultiPolygon"),
        pytest.param(
            # Brussels: in Belgium, nowhere near Alken.
            {
                "type": "Polygon",
                "coordinates": [[[4.35, 50.84], [4.36, 50.84], [4.36, 50.85], [4.35, 50.84]]],
            },
            "100% of the polygon lies outside the municipality (Alken)",
            id="wholly-outside",
        ),
    ],
)
def test_shapes_with_nothing_of_the_municipality_in_them_are_refused(
    alken: Dataset, geometry: Any, message: str
) -> None:
    for props in ({"zone_id": "heiligenborn"}, {"name": "WABP Nergens"}):
        with pytest.raises(ProposalError, match=re.escape(message)):
            parse_proposal(feature(geometry, **props), alken)


def test_report_runs_the_dataset_checks_on_the_zones_it_gives(alken: Dataset) -> None:
    good = parse_proposal(
        feature(shapely.geometry.mapping(border_grab(alken)), zone_id="sint-joris"), alken
    )
    result, _ = report(good, alken)
    # The zones it gives load; its one error is the take-over of Terkoest's strip, which the
    # municipality confirms rather than fixes.
    assert result.valid
    errors = [p for p in result.problems if p.severity == "error"]
    assert [(p.code, p.zones) for p in errors] == [("overlap", ["sint-joris", "terkoest"])]
    assert result.municipalities == ["Alken"]

    partly = parse_proposal(
        feature(shapely.geometry.mapping(half_outside(alken)), zone_id="heiligenborn"), alken
    )
    result, after = report(partly, alken)
    assert not result.valid
    errors = [p for p in result.problems if p.severity == "error" and p.code != "overlap"]
    assert [(p.code, p.zones) for p in errors] == [("outside_municipality", ["heiligenborn"])]
    assert any(line.startswith("fout: zone 'heiligenborn'") for line in result.summary)
    # The same verdict as loading that zone set would give.
    with pytest.raises(ZoneValidationError, match="outside the municipality"):
        alken.with_zones(after, strict=True)
    with pytest.raises(InvalidResultError, match="do not validate: zone 'heiligenborn'"):
        ensure_valid(result)
