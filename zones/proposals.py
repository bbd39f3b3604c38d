"""Boundary proposals: parse one, report its impact, apply it.

A proposal gives a zone a new polygon (``zone_id``) or starts a new group (``name``). Its polygon is
given as GeoJSON or built from units (streets with house-number rules, or picked addresses) the way
the shipped zones were derived: the union of the addresses' Voronoi cells. Applying it gives the zone
that polygon, cuts it out of every other zone, and re-derives the street rules of the zones whose
polygon changed, so that street rules and polygons keep agreeing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry.base import BaseGeometry
from unidecode import unidecode

from geo.crs import LonLat, in_belgium
from geo.housenumber import parse_register_number
from geo.register import AddressRegister
from geo.spatial import PointGrid, PolygonIndex
from zones.assign import AssignmentTable
from zones.changes import Move, moves
from zones.dataset import Dataset
from zones.derive import infer_rule, voronoi_cells
from zones.errors import ConflictError, InvalidError, NotFoundError, ZoneError, ZoneFileError
from zones.schema import StreetRule, Zone, ZoneProperties, ZoneSet, to_l72, to_wgs84
from zones.storage import StrictMultiPolygon, StrictPolygon, zone_from_feature, zone_to_feature
from zones.validate import Problem, has_errors

MAX_VERTICES = 10_000
SLIVER_M2 = 500.0
# Less overlap than this (m²) is a shared border drawn a few centimetres off, not a change of zone.
MIN_OVERLAP_M2 = 1.0
# Areas below this (m²) are drawing noise: a border a hand's width off along a street. A report does
# not mention them (no "2 m² ligt buiten de gemeente" for a zone that did not change); an overlap
# with another group beyond it is a take-over the municipality must confirm.
TOLERANCE_M2 = 50.0
# A shape with less of its area than this inside the municipality was drawn in the wrong place (or
# in the wrong coordinates): refused at once. A shape partly outside gets a report that says so.
MIN_INSIDE_SHARE = 0.05


class ProposalError(ZoneError, InvalidError):
    """A proposal that cannot be used as it is; the message says what to fix."""

    code = "invalid_proposal"


class InvalidShapeError(ProposalError):
    """A self-intersecting (or otherwise invalid) polygon; carries the repaired shape when there is one."""

    code = "invalid_shape"

    def __init__(self, reason: str, repaired: dict[str, Any] | None) -> None:
        self.reason = reason
        self.repaired = repaired
        super().__init__(
            f"invalid polygon: {reason}" + ("; a repaired shape is offered" if repaired else "")
        )


class UnknownProposalError(ZoneError, NotFoundError):
    """A proposal id that does not exist, or that the caller may not see."""

    code = "unknown_proposal"


class ProposalStateError(ZoneError, ConflictError):
    """A proposal that was already approved or rejected."""

    code = "proposal_decided"


class InvalidResultError(ProposalError):
    """A proposal whose resulting zone set fails the checks a dataset must pass to load."""

    code = "invalid_zones"

    def __init__(self, problems: list[ReportProblem]) -> None:
        self.problems = problems
        errors = "; ".join(p.message for p in problems if p.severity == "error")
        super().__init__(f"approving this proposal would give zones that do not validate: {errors}")


class NoChangeError(ProposalError):
    """A proposal that would leave the zones as they are."""

    code = "no_change"

    def __init__(self) -> None:
        super().__init__("dit voorstel verandert niets")


class StaleProposalError(ZoneError, ConflictError):
    """A proposal whose zones changed since it was made (another approval); carries the fresh report."""

    code = "stale_proposal"

    def __init__(self, fresh: Report) -> None:
        self.fresh = fresh
        super().__init__(
            "the zones changed since this proposal was made; review the fresh report and approve again"
        )


class AddressUnit(BaseModel):
    """An address picked on the map."""

    model_config = ConfigDict(extra="forbid")

    street: str = Field(min_length=1, max_length=120)
    housenumber: str = Field(min_length=1, max_length=20)
    postcode: str | None = Field(default=None, pattern=r"^[1-9]\d{3}$")


class Units(BaseModel):
    """A proposal as units: streets with house-number rules and/or picked addresses."""

    model_config = ConfigDict(extra="forbid")

    streets: list[StreetRule] = Field(default_factory=list, max_length=500)
    addresses: list[AddressUnit] = Field(default_factory=list, max_length=5000)


class ProposalProperties(BaseModel):
    """The properties of a proposal feature."""

    model_config = ConfigDict(extra="forbid", strict=True)

    zone_id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    area: str | None = Field(default=None, max_length=120)
    note: str | None = Field(default=None, max_length=2000)


class ProposalFeature(BaseModel):
    """A proposal as a GeoJSON Feature; `geometry` may be null when `units` give the shape."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^Feature$")
    geometry: StrictPolygon | StrictMultiPolygon | None = Field(default=None, discriminator="type")
    properties: ProposalProperties
    units: Units | None = None


class Proposal(BaseModel):
    """A parsed proposal: which zone, its new shape (WGS84) and its note."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    zone_id: str | None
    name: str | None
    area: str | None
    note: str | None
    geometry: Any  # shapely geometry, WGS84
    units: Units | None = None


def _reject_3d(coords: Any) -> None:
    if isinstance(coords, list) and coords and isinstance(coords[0], (int, float)):
        if len(coords) != 2:
            raise ProposalError("coordinates must be [longitude, latitude] pairs (no height)")
        return
    if isinstance(coords, list):
        for c in coords:
            _reject_3d(c)


def parse_proposal(data: Any, dataset: Dataset) -> Proposal:
    """Check a proposal Feature and return it parsed; raise ProposalError with a reason."""
    if isinstance(data, dict) and isinstance(data.get("geometry"), dict):
        if data["geometry"].get("type") not in ("Polygon", "MultiPolygon"):
            raise ProposalError(
                f"geometry must be a Polygon or MultiPolygon, not {data['geometry'].get('type')}"
            )
        _reject_3d(data["geometry"].get("coordinates"))
    try:
        feature = ProposalFeature.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper()))
        raise ProposalError(f"{where or 'feature'}: {err['msg']}") from None
    props = feature.properties
    if (props.zone_id is None) == (props.name is None):
        raise ProposalError(
            "give properties.zone_id (change a zone) or properties.name (a new group), not both"
        )
    if props.zone_id is not None and props.zone_id not in dataset.zones:
        # A bad field of the body (422), not a missing resource (404): the URL was right.
        raise ProposalError(
            f"properties.zone_id: unknown zone id {props.zone_id!r} (the ids are in /api/zones)"
        )
    if feature.geometry is not None:
        geometry = shapely.geometry.shape(feature.geometry.model_dump())
        _check_coordinates(geometry)
    elif feature.units is not None and (feature.units.streets or feature.units.addresses):
        geometry = polygon_from_units(feature.units, dataset)
    else:
        raise ProposalError("give a geometry, or units (streets or addresses)")
    _check_placement(geometry, dataset)
    return Proposal(
        zone_id=props.zone_id,
        name=props.name,
        area=props.area,
        note=props.note,
        geometry=geometry,
        units=feature.units,
    )


def _check_coordinates(geometry: BaseGeometry) -> None:
    coords = shapely.get_coordinates(geometry)
    if len(coords) > MAX_VERTICES:
        raise ProposalError(f"too many vertices ({len(coords):,}; at most {MAX_VERTICES:,})")
    for lon, lat in coords:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ProposalError("coordinates must be finite numbers")
        if not in_belgium(LonLat(lon, lat)):
            if in_belgium(LonLat(lat, lon)):
                raise ProposalError(
                    "coordinates look like latitude/longitude swapped: GeoJSON is longitude first"
                )
            raise ProposalError(
                f"coordinate ({lon}, {lat}) is outside Belgium (WGS84 longitude/latitude expected)"
            )
    if not shapely.is_valid(geometry):
        repaired = shapely.make_valid(geometry, method="structure")
        polys = [
            p
            for p in shapely.get_parts(repaired)
            if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0
        ]
        fixed = shapely.union_all(polys) if polys else None
        raise InvalidShapeError(
            shapely.is_valid_reason(geometry),
            shapely.geometry.mapping(fixed) if fixed is not None and not fixed.is_empty else None,
        )


def _check_placement(geometry: BaseGeometry, dataset: Dataset) -> None:
    """Refuse a shape with nothing in it, or one drawn (almost) wholly outside the municipality."""
    if geometry.is_empty or geometry.area <= 0:
        raise ProposalError("geometry: the polygon is empty; draw the outline of the zone")
    if dataset.boundary_l72 is None:
        return  # without a boundary the dataset checks no placement either
    shape = to_l72(geometry)
    inside = float(shapely.intersection(shape, dataset.boundary_l72).area)
    if inside < MIN_INSIDE_SHARE * shape.area:
        raise ProposalError(
            f"geometry: {1 - inside / shape.area:.0%} of the polygon lies outside the municipality "
            f"({dataset.meta.name}); draw the zone inside it"
        )


def polygon_from_units(units: Units, dataset: Dataset) -> BaseGeometry:
    """Build a polygon from streets and picked addresses: the union of their Voronoi cells."""
    reg = dataset.register
    chosen: set[int] = set()
    for rule in units.streets:
        sids = [
            s.id for s in reg.streets if s.name == rule.name and rule.postcode in (None, s.postcode)
        ]
        if not sids:
            raise ProposalError(f"street {rule.name!r} is not in the address register")
        for sid in sids:
            chosen |= {
                a
                for a in reg.on_street(sid)
                if rule.covers(parse_register_number(reg.housenumbers[a]))
            }
    for unit in units.addresses:
        sids = [
            s.id
            for s in reg.streets
            if s.name == unit.street and unit.postcode in (None, s.postcode)
        ]
        found = [a for sid in sids for a in reg.find(sid, unit.housenumber)]
        if not found:
            raise ProposalError(
                f"address {unit.street} {unit.housenumber} is not in the address register"
            )
        chosen |= set(found)
    positioned = [a for a in chosen if reg.positioned[a]]
    if not positioned:
        raise ProposalError("none of the chosen addresses has a position in the register")
    cells = voronoi_cells(dataset)
    polygon = shapely.union_all([cells[a] for a in positioned])
    return shapely.set_precision(to_wgs84(polygon), 1e-7)


# -- the report ------------------------------------------------------------------------------------
class ZoneArea(BaseModel):
    """An area of one zone, with the addresses in it."""

    zone_id: str
    name: str
    area_m2: float
    addresses: int


class GroupSize(BaseModel):
    """Register addresses of a zone before and after, against the member cap."""

    zone_id: str
    name: str
    before: int
    after: int
    cap: int
    over_cap: bool


class SplitStreet(BaseModel):
    """A street whose addresses end up in more than one zone (or partly in none)."""

    street: str
    zones: list[str]


class ReportProblem(BaseModel):
    """A finding of the dataset checks (zones/validate.py) on the zone set a proposal gives."""

    code: str
    severity: str
    message: str
    zones: list[str]


class Report(BaseModel):
    """Everything a proposal would change, for the coordinator and the municipality."""

    zone_id: str
    new_group: bool
    # Whether the resulting zone set passes the checks a dataset must pass to load; see `problems`.
    valid: bool
    problems: list[ReportProblem] = Field(default_factory=list)
    # The municipalities of the addresses the proposal concerns: whose staff review it.
    municipalities: list[str] = Field(default_factory=list)
    area_m2: float
    outside_municipality_m2: float
    overlaps: list[ZoneArea]
    moves: list[Move]
    gained: dict[str, int]
    lost: dict[str, int]
    left_without_group: int
    gaps_m2: float
    slivers: list[ZoneArea]
    split_streets: list[SplitStreet]
    parts: int
    group_sizes: list[GroupSize]
    infoborden_outside: list[str]
    retired: list[str] = Field(default_factory=list)  # zones the proposal covers entirely
    # Other groups' zones the proposal takes area or addresses from (overlaps beyond the tolerance,
    # moves out of them, zones it retires): allowed only when the municipality confirms them.
    takeovers: list[ZoneArea] = Field(default_factory=list)
    # The proposal leaves every zone as it is: refused ("dit voorstel verandert niets").
    unchanged: bool = False
    coverage_before: float
    coverage_after: float
    summary: list[str]


def slug(name: str) -> str:
    """Return a zone id for a group name (``WABP Nieuwe Wijk`` -> ``nieuwe-wijk``)."""
    text = re.sub(r"[^a-z0-9]+", "-", unidecode(name).lower()).strip("-")
    text = re.sub(r"^wabp-", "", text)
    return text[:60] or "zone"


def rules_from_polygon(
    polygon_l72: BaseGeometry, register: AddressRegister, grid: PointGrid | None = None
) -> list[StreetRule]:
    """Derive a zone's street rules from the addresses its polygon covers (as `derive` does).

    With the register's `grid`, only the addresses in the polygon's box are tested.
    """
    if grid is not None and not polygon_l72.is_empty:
        idx = np.sort(grid.in_box(*polygon_l72.bounds))
    else:
        idx = np.flatnonzero(register.positioned)
    # A point intersects a polygon exactly when the polygon covers it; no point objects needed.
    shapely.prepare(polygon_l72)
    inside = shapely.intersects_xy(polygon_l72, register.x[idx], register.y[idx])
    mine = set(idx[inside].tolist())
    streets = sorted(
        {int(register.street_of[a]) for a in mine}, key=lambda s: register.streets[s].name
    )
    rules = []
    for sid in streets:
        ins: list[int] = []
        outs: list[int] = []
        for a in register.on_street(sid):
            n = int(register.numbers[a])
            if n < 0 or not register.positioned[a]:
                continue
            (ins if a in mine else outs).append(n)
        if ins:
            rules.append(
                StreetRule(
                    name=register.streets[sid].name, postcode=None, numbers=infer_rule(ins, outs)
                )
            )
    return rules


class _Compared:
    """Who is in which zone before and after a change, read on the recomputed rows only.

    An address outside `rows` has the same zones in both tables, so a zone's members after are
    its members before, less the rows that left it, plus the rows that joined it: no scan of the
    whole register per zone (2.65 million addresses in Flanders).
    """

    def __init__(
        self, before: AssignmentTable, after: AssignmentTable, rows: npt.NDArray[np.int64]
    ) -> None:
        self.before, self.after, self.rows = before, after, rows
        self._counts: dict[str, int] = {}

    @staticmethod
    def _mask(table: AssignmentTable, zone_id: str, ids: npt.NDArray[np.int64]) -> Any:
        """Return, for each address of `ids`, whether `zone_id` is one of its zones in `table`."""
        z = table.number.get(zone_id)
        if z is None:
            return np.zeros(len(ids), dtype=bool)
        mask = table.primary[ids] == z
        if table.extra:
            several = np.fromiter(table.extra, dtype=np.int64, count=len(table.extra))
            for i in np.flatnonzero(np.isin(ids, several)).tolist():
                mask[i] = z in table.extra[int(ids[i])]
        return mask

    def was_in(self, zone_id: str) -> Any:
        """Return, per row, whether the address was in the zone."""
        return self._mask(self.before, zone_id, self.rows)

    def is_in(self, zone_id: str) -> Any:
        """Return, per row, whether the address is in the zone after the change."""
        return self._mask(self.after, zone_id, self.rows)

    def count_before(self, zone_id: str) -> int:
        """Return the number of addresses of a zone before (`AssignmentTable.members`' count)."""
        if zone_id in self._counts:
            return self._counts[zone_id]
        table = self.before
        z = table.number.get(zone_id)
        count = 0
        if z is not None:
            count = int(np.count_nonzero(table.primary == z))
            for a, zones in table.extra.items():
                count += (z in zones) - (int(table.primary[a]) == z)
        self._counts[zone_id] = count
        return count

    def count_after(self, zone_id: str) -> int:
        """Return the number of addresses of a zone after the change."""
        moved_in = int(np.count_nonzero(self.is_in(zone_id)))
        return self.count_before(zone_id) - int(np.count_nonzero(self.was_in(zone_id))) + moved_in

    def taken(self, zone_id: str, target_id: str) -> int:
        """Return how many addresses of `zone_id` (before) are in `target_id` after the change."""
        count = int(np.count_nonzero(self.was_in(zone_id) & self.is_in(target_id)))
        table, number = self.before, self.before.number
        z, t = number.get(zone_id), number.get(target_id)
        if table.extra and z is not None and t is not None:
            rows = set(self.rows.tolist())
            count += sum(
                1 for a, zs in table.extra.items() if a not in rows and z in zs and t in zs
            )
        return count


def _overlap_m2(zone: Zone, shape_l72: BaseGeometry) -> float:
    if not shapely.intersects(zone.geometry_l72, shape_l72):
        return 0.0
    return float(shapely.intersection(zone.geometry_l72, shape_l72).area)


def _reaching(zones: list[Zone], shape_l72: BaseGeometry) -> set[str]:
    """Return the ids of the `zones` that intersect a shape: one vectorised test, not one per zone."""
    if not zones:
        return set()
    shapely.prepare(shape_l72)
    hits = shapely.intersects(shape_l72, [z.geometry_l72 for z in zones])
    return {zones[i].id for i in np.flatnonzero(hits).tolist()}


def apply(proposal: Proposal, dataset: Dataset) -> tuple[ZoneSet, str]:
    """Return the zone set with the proposal applied, and the id of the proposed zone."""
    zones = dataset.zones
    shape = proposal.geometry
    if proposal.zone_id is not None:
        target_id = proposal.zone_id
    else:
        base, target_id, i = slug(proposal.name or ""), slug(proposal.name or ""), 2
        while target_id in zones:
            target_id, i = f"{base}-{i}", i + 1
    shape_l72 = to_l72(shape)
    reaching = _reaching(zones.active(), shape_l72)
    out: list[Zone] = []
    for zone in zones:
        if zone.id == target_id:
            continue
        # Overlap, not `intersects`: a neighbour that only shares a border keeps its street rules
        # as they are (re-deriving them from its unchanged polygon would rewrite them for nothing).
        if zone.id in reaching and _overlap_m2(zone, shape_l72) >= MIN_OVERLAP_M2:
            rest = shapely.difference(zone.geometry, shape)
            rest = shapely.union_all(
                [p for p in shapely.get_parts(rest) if p.geom_type == "Polygon" and p.area > 0]
            )
            if rest.is_empty:
                # Swallowed whole: the zone is retired with its last shape, not deleted, so its id
                # (named by infoborden, users and old generations) keeps meaning something.
                out.append(Zone(zone.props.model_copy(update={"status": "retired"}), zone.geometry))
                continue
            props = zone.props.model_copy(
                update={
                    "streets": rules_from_polygon(to_l72(rest), dataset.register, dataset.base.grid)
                }
            )
            out.append(Zone(props, rest))
        else:
            out.append(zone)
    if proposal.zone_id is not None:
        old = zones.get(proposal.zone_id).props
        props = old.model_copy(update={"area": proposal.area or old.area})
    else:
        props = ZoneProperties(
            id=target_id, name=proposal.name or target_id, area=proposal.area or "", status="active"
        )
    props = props.model_copy(
        update={
            "streets": rules_from_polygon(shape_l72, dataset.register, dataset.base.grid),
            "valid_from": dt.date.today(),
        }
    )
    position = next((i for i, z in enumerate(zones) if z.id == target_id), len(out))
    out.insert(position, Zone(props, shape))
    return ZoneSet(out), target_id


def _as_stored(zones: ZoneSet, before: ZoneSet) -> tuple[ZoneSet, list[Problem]]:
    """Return `zones` as they read back from a generation file, so checks see what will be loaded.

    Changed zones only: unchanged ones were read from that file. A zone that cannot be stored at
    all (which the file format refuses) is a problem, not an exception.
    """
    out: list[Zone] = []
    problems: list[Problem] = []
    kept = {id(z) for z in before.zones}  # unchanged zones are the very objects of `before`
    for zone in zones:
        if id(zone) in kept:
            out.append(zone)
            continue
        try:
            # Through JSON text, as the file is written and read (mapping() holds tuples).
            raw = json.loads(json.dumps(zone_to_feature(zone)))
            out.append(zone_from_feature(raw, f"zone {zone.id!r}"))
        except ZoneFileError as exc:
            problems.append(Problem("unstorable_zone", "error", str(exc), (zone.id,)))
            out.append(zone)
    return ZoneSet(out), problems


def _gaps_m2(before: ZoneSet, after: ZoneSet, after_index: PolygonIndex) -> float:
    """Return the area covered by a zone before and by none after.

    Only where a zone changed can cover be lost: the changed zones' old shapes, less every shape
    of the new set that reaches them (no union of the whole set).
    """
    kept = {id(z) for z in after.zones}  # a zone that is the very object it was did not change
    changed = [
        z.geometry_l72
        for z in before.active()
        if id(z) not in kept
        and (
            z.id not in after
            or after.get(z.id).geometry_l72 is not z.geometry_l72
            or after.get(z.id).props.status != "active"
        )
    ]
    if not changed:
        return 0.0
    lost = shapely.union_all(changed)
    reaching = after_index.intersecting(lost)
    if reaching:
        lost = shapely.difference(lost, shapely.union_all(reaching))
    return float(lost.area)


def _new_problems(dataset: Dataset, problems: list[Problem]) -> list[ReportProblem]:
    """Return every error, and the warnings the current zones do not have already."""
    known = {(p.code, p.message) for p in dataset.problems}
    return [
        ReportProblem(code=p.code, severity=p.severity, message=p.message, zones=list(p.zones))
        for p in problems
        if p.severity == "error" or (p.code, p.message) not in known
    ]


def _municipalities(
    dataset: Dataset, after: Dataset, target_id: str, compared: _Compared
) -> list[str]:
    """Return the municipalities of the target zone's addresses (before, after) and of the moves."""
    reg = dataset.register
    rows = compared.rows
    # Its members after that were not members before are among the recomputed rows.
    joined = rows[compared.is_in(target_id)]
    moved = rows[dataset.table.primary[rows] != after.table.primary[rows]]
    touched = np.concatenate([dataset.table.members(target_id), joined, moved])
    streets = set(np.unique(reg.street_of[touched]).tolist())
    names = sorted({reg.streets[s].municipality for s in streets} - {""})
    # No address at all (a new group in the fields): the dataset's own municipality reviews it.
    return names or [dataset.meta.name]


def report(proposal: Proposal, dataset: Dataset) -> tuple[Report, ZoneSet]:
    """Compute the impact report of a proposal against a dataset (and the zone set it would give)."""
    applied, target_id = apply(proposal, dataset)
    after_zones, unstorable = _as_stored(applied, dataset.zones)
    # The checks Dataset.load runs (strict there, collected here): a zone set that would not load
    # after the approval is reported as invalid, and approve() refuses to write it.
    after = dataset.with_zones(after_zones)
    problems = _new_problems(dataset, [*unstorable, *after.problems])
    reg = dataset.register
    shape_l72 = to_l72(proposal.geometry)
    target_after = after_zones.get(target_id)

    # Only the addresses the change recomputed can differ between the two tables.
    rows = after.side.changed_rows
    if rows is None:
        rows = np.arange(len(reg), dtype=np.int64)
    compared = _Compared(dataset.table, after.table, rows)
    overlaps = []
    reaching = _reaching(dataset.zones.active(), shape_l72)
    for zone in dataset.zones.active():
        if zone.id == target_id or zone.id not in reaching:
            continue
        part = shapely.intersection(zone.geometry_l72, shape_l72)
        count = compared.taken(zone.id, target_id)
        if part.area < TOLERANCE_M2 and not count:
            continue
        overlaps.append(
            ZoneArea(zone_id=zone.id, name=zone.name, area_m2=round(part.area, 1), addresses=count)
        )

    changes = moves(reg, dataset.table, after.table, dataset.zones, after_zones, rows)
    gained: dict[str, int] = {}
    lost: dict[str, int] = {}
    for m in changes:
        if m.to_zone:
            gained[m.to_zone] = gained.get(m.to_zone, 0) + m.count
        if m.from_zone:
            lost[m.from_zone] = lost.get(m.from_zone, 0) + m.count
    left = sum(m.count for m in changes if m.to_zone is None)

    gaps = _gaps_m2(dataset.zones, after_zones, after.index)

    changed_ids = {target_id} | {o.zone_id for o in overlaps}
    slivers = []
    for zone in after_zones.active():
        if zone.id not in changed_ids:
            continue
        for part in shapely.get_parts(zone.geometry_l72):
            if TOLERANCE_M2 <= part.area < SLIVER_M2:
                slivers.append(
                    ZoneArea(
                        zone_id=zone.id, name=zone.name, area_m2=round(part.area, 1), addresses=0
                    )
                )

    # A street is a name in a postcode: Flanders has hundreds of Kerkstraten, each its own.
    touched_streets = {(m.street, m.postcode) for m in changes}
    split = []
    for name, postcode in sorted(touched_streets):
        zone_sets = set()
        for sid in dataset.base.by_name.get(name, []):
            if reg.streets[sid].postcode == postcode:
                zone_sets |= {after.table.zones_of(a) for a in reg.on_street(sid)}
        if len(zone_sets) > 1:
            split.append(
                SplitStreet(
                    street=name, zones=sorted({z or "-" for zs in zone_sets for z in (zs or ("",))})
                )
            )

    cap = dataset.meta.member_cap
    sizes = []
    for z in sorted(changed_ids):
        count_after = compared.count_after(z)
        sizes.append(
            GroupSize(
                zone_id=z,
                name=after_zones.get(z).name,
                before=compared.count_before(z),
                after=count_after,
                cap=cap,
                over_cap=count_after > cap,
            )
        )

    retired = [
        z.id
        for z in after_zones
        if z.props.status == "retired"
        and z.id in dataset.zones
        and dataset.zones.get(z.id).props.status == "active"
    ]
    outside_boards = []
    for board in dataset.infoborden:
        zone_id = board.properties.zone_id
        if zone_id not in after_zones:
            continue
        lon, lat = board.geometry.coordinates[0], board.geometry.coordinates[1]
        point = to_l72(shapely.Point(lon, lat))
        if zone_id in retired or not after_zones.get(zone_id).geometry_l72.covers(point):
            outside_boards.append(board.properties.id)

    n = max(len(reg), 1)
    coverage_before = float(np.count_nonzero(dataset.table.primary >= 0)) / n
    coverage_after = float(np.count_nonzero(after.table.primary >= 0)) / n
    outside = (
        shapely.difference(shape_l72, dataset.boundary_l72).area
        if dataset.boundary_l72 is not None
        else 0.0
    )
    if outside < TOLERANCE_M2:
        outside = 0.0  # a border drawn along the municipality's, a hand's width off
    parts = len(shapely.get_parts(target_after.geometry_l72))

    takeovers = _takeovers(overlaps, gained, lost, retired, target_id, dataset.zones)
    problems += [
        ReportProblem(
            code="overlap",
            severity="error",
            message=(
                f"het voorstel overlapt {t.name} over {_m2(t.area_m2)} m² ({_addresses(t.addresses)}): "
                "dat deel gaat alleen over als de gemeente het bevestigt"
                if _has_area(t.area_m2)
                # Streets picked from another group: addresses without an area of its polygon.
                else f"het voorstel neemt {_addresses(t.addresses)} over van {t.name}: die gaan "
                "alleen over als de gemeente het bevestigt"
            ),
            zones=[target_id, t.zone_id],
        )
        for t in takeovers
    ]
    unchanged = (
        proposal.zone_id is not None
        and not changes
        and _same_zone(dataset.zones.get(target_id), target_after)
        and not retired
    )

    summary = [m.text for m in changes]
    if unchanged:
        summary.append("dit voorstel verandert niets")
    summary += [
        f"neemt {_m2(t.area_m2) + ' m² en ' if _has_area(t.area_m2) else ''}"
        f"{_addresses(t.addresses)} over van {t.name}: de gemeente moet dit bevestigen"
        for t in takeovers
    ]
    if outside > 1.0:
        summary.append(f"{outside:,.0f} m² ligt buiten de gemeente")
    if parts > 1:
        summary.append(f"de zone bestaat uit {parts} losse delen")
    if left:
        summary.append(f"{left} adressen vallen in geen enkele zone meer")
    summary += [
        f"{after_zones.get(z).name} verdwijnt: de zone ligt helemaal in het voorstel"
        for z in retired
    ]
    summary += [
        f"{s.name} telt {s.after} adressen, meer dan de {cap} leden van een WhatsApp-groep"
        for s in sizes
        if s.over_cap
    ]
    summary += [f"infobord {b} staat niet meer in zijn zone" for b in outside_boards]
    summary += [
        f"fout: {p.message} (de zones kunnen zo niet goedgekeurd worden)"
        for p in problems
        if p.severity == "error" and p.code != "overlap"  # a take-over is confirmed, not fixed
    ]

    result = Report(
        zone_id=target_id,
        new_group=proposal.zone_id is None,
        valid=not has_errors([*unstorable, *after.problems]),
        problems=problems,
        municipalities=_municipalities(dataset, after, target_id, compared),
        area_m2=round(shape_l72.area, 1),
        outside_municipality_m2=round(outside, 1),
        overlaps=overlaps,
        moves=changes,
        gained=gained,
        lost=lost,
        left_without_group=left,
        gaps_m2=round(gaps, 1),
        slivers=slivers,
        split_streets=split,
        parts=parts,
        group_sizes=sizes,
        infoborden_outside=outside_boards,
        retired=retired,
        takeovers=takeovers,
        unchanged=unchanged,
        coverage_before=round(coverage_before, 4),
        coverage_after=round(coverage_after, 4),
        summary=summary,
    )
    return result, after_zones


def ensure_valid(result: Report) -> None:
    """Raise InvalidResultError when the zone set of a report would not pass the dataset checks."""
    if not result.valid:
        raise InvalidResultError(result.problems)


def _takeovers(
    overlaps: list[ZoneArea],
    gained: dict[str, int],
    lost: dict[str, int],
    retired: list[str],
    target_id: str,
    zones: ZoneSet,
) -> list[ZoneArea]:
    """Return the other groups the proposal takes area or addresses from, with how much."""
    by_zone = {o.zone_id: o for o in overlaps}
    taken = []
    for zone_id in sorted(set(by_zone) | {z for z in lost if z != target_id} | set(retired)):
        if zone_id == target_id or zone_id not in zones:
            continue
        overlap = by_zone.get(zone_id)
        addresses = max(overlap.addresses if overlap else 0, lost.get(zone_id, 0))
        area = overlap.area_m2 if overlap else 0.0
        if area < TOLERANCE_M2 and not addresses and zone_id not in retired:
            continue
        taken.append(
            ZoneArea(
                zone_id=zone_id, name=zones.get(zone_id).name, area_m2=area, addresses=addresses
            )
        )
    return taken


def _has_area(area: float) -> bool:
    """Tell whether an area shows as at least 1 m² (a take-over by street rules has none)."""
    return round(area) >= 1


def _addresses(count: int) -> str:
    return "1 adres" if count == 1 else f"{count} adressen"


def _m2(area: float) -> str:
    """Return an area in m² as Dutch writes it (566.196: a dot between thousands)."""
    return f"{area:,.0f}".replace(",", ".")


def _same_zone(before: Zone, after: Zone) -> bool:
    """Tell whether a zone keeps its shape (within the tolerance) and its name and area."""
    if (before.props.name, before.props.area, before.props.status) != (
        after.props.name,
        after.props.area,
        after.props.status,
    ):
        return False
    changed = shapely.symmetric_difference(before.geometry_l72, after.geometry_l72).area
    return bool(changed < TOLERANCE_M2)


def touched_zones(proposal: Proposal, zones: ZoneSet) -> set[str]:
    """Return the zones a proposal touches in a zone set: its target and the zones it overlaps."""
    shape_l72 = to_l72(proposal.geometry)
    touched = {proposal.zone_id} if proposal.zone_id is not None else set()
    reaching = _reaching(zones.active(), shape_l72)
    for zone in zones:
        if zone.id in reaching and _overlap_m2(zone, shape_l72) >= MIN_OVERLAP_M2:
            touched.add(zone.id)
    return touched


def changed_since(proposal: Proposal, base: ZoneSet, now: ZoneSet) -> list[str]:
    """Return the zones the proposal touches that changed in any way from `base` to `now`.

    Touched means: its target zone, and every zone its shape overlaps (and so cuts or retires) in
    either zone set. Any change to one of them (geometry, street rules, name, status) makes the
    report the reviewer saw no longer the truth; a change elsewhere does not.
    """
    changed = []
    for zone_id in sorted(touched_zones(proposal, base) | touched_zones(proposal, now)):
        a = zone_to_feature(base.get(zone_id)) if zone_id in base else None
        b = zone_to_feature(now.get(zone_id)) if zone_id in now else None
        if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
            changed.append(zone_id)
    return changed


def ensure_changes(result: Report) -> None:
    """Raise NoChangeError when a report says the proposal changes nothing."""
    if result.unchanged:
        raise NoChangeError()
