"""Which WABP group is mine? Resolving a typed address, or a point, to its zone(s).

An address is matched against the register (see `geo.matcher`), then its zones are read from the
address -> zone table built at load time (street rules first, polygon otherwise). Only coordinates
are tested against the polygons live. When unsure, the answer says so: ``ambiguous`` with candidates,
never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.crs import LonLat, check_lonlat, to_lambert72
from geo.errors import CoordinateError
from geo.geocode import AddressNotice, CanonicalAddress, Geocode, GeocodedAddress
from geo.geocoder import MAX_CANDIDATES as MAX_CANDIDATES
from geo.housenumber import parse_register_number
from zones import messages
from zones.coverage import street_numbers, street_parts
from zones.dataset import Dataset
from zones.errors import LookupInputError, PointError
from zones.nextsteps import DEFAULT_JOIN_URL, contacts_of, next_steps
from zones.results import (
    Candidate,
    Location,
    LookupResult,
    Notice,
    Precision,
    StreetPart,
    StreetSuggestion,
    ZoneRef,
)
from zones.schema import StreetRule

MAX_QUERY_LENGTH = 200


@dataclass
class _Found:
    """An address (or a position on a street) decided during a lookup."""

    address: CanonicalAddress
    zone_ids: tuple[str, ...]
    location: Location | None
    precision: Precision
    notices: list[Notice]


def _location(lonlat: LonLat | None) -> Location | None:
    return None if lonlat is None else Location(lat=lonlat.lat, lon=lonlat.lon)


class Locator:
    """Answers lookups against one loaded dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        # The register side of the answer (street, address, position, notices); the place names
        # also hold this zone set's area names ("Sint-Joris"). Positions are shared by every generation.
        self.geo = dataset.base.geocoder.with_places(dataset.places)
        self.contacts = contacts_of(dataset, dataset.meta.join_url or DEFAULT_JOIN_URL)

    # -- public -----------------------------------------------------------------------------
    def lookup(self, query: str) -> LookupResult:
        """Resolve a typed address to its group(s), with what to do next."""
        result = self._lookup(query)
        result.next_steps = next_steps(result, self.contacts)
        return result

    def _lookup(self, query: str) -> LookupResult:
        query = query.strip()
        if not query:
            raise LookupInputError("empty query: type a street and house number")
        if len(query) > MAX_QUERY_LENGTH:
            raise LookupInputError(f"query longer than {MAX_QUERY_LENGTH} characters")
        # Each reading of the text in turn (street names may hold numbers), until one is more than
        # not_found: the zone answer decides, since a number the register lacks may still be
        # placed by a street rule.
        first: LookupResult | None = None
        for geocode in self.geo.geocodes(query):
            result = self._answer(geocode)
            if result.status != "not_found":
                return result
            first = first or result
        assert first is not None  # a text has at least one reading
        return first

    def _answer(self, g: Geocode) -> LookupResult:
        """Turn the register's answer to one reading into the zone answer."""
        notices = [self._render(n) for n in g.notices]
        if g.status == "no_street":
            return LookupResult(
                status="not_found", message=messages.NO_STREET, actions=["report_problem"]
            )
        if g.status == "outside":
            return LookupResult(
                status="not_found",
                message=messages.NOT_SERVED.format(postcode=g.postcode),
                actions=["contact_municipality"],
            )
        if g.status == "not_found":
            return self._not_found(notices)
        if g.status == "ambiguous":
            return self._result_ambiguous([self._candidate(c) for c in g.candidates], notices)
        if g.status == "street":
            return self._whole_street(g, notices)
        if g.status == "unknown_number":
            options = self._resolve_missing_number(g)
        else:  # found: one house number may have several register addresses
            options = self._distinct([self._resolve_address(a) for a in g.addresses])
        if len(options) != 1:
            return self._result_ambiguous([self._candidate(f) for f in options], notices)
        return self._result(options[0], notices)

    def street_rules(self, sid: int) -> list[tuple[str, StreetRule]]:
        """Return (zone id, rule) of the active zones' rules that decide numbers of a street."""
        return self.ds.side.rules.by_street.get(sid, [])

    def lookup_many(self, queries: list[str]) -> list[LookupResult]:
        """Resolve a list of addresses; an unusable line gives not_found with an `invalid_query` warning."""
        out = []
        for query in queries:
            try:
                out.append(self.lookup(query))
            except LookupInputError as exc:
                notice = Notice(code="invalid_query", message=f"Deze regel is geen adres ({exc}).")
                out.append(
                    LookupResult(status="not_found", message=messages.NO_STREET, warnings=[notice])
                )
        return out

    def suggest_streets(self, prefix: str, limit: int = 10) -> list[StreetSuggestion]:
        """Return streets (name, postcode, place) for a typed prefix, for autocomplete."""
        if len(prefix) > MAX_QUERY_LENGTH:
            raise LookupInputError(f"query longer than {MAX_QUERY_LENGTH} characters")
        reg = self.ds.register
        out = []
        for s in self.ds.suggester.suggest(prefix, limit):
            street = reg.streets[s.street_id]
            place = street.municipality or self.ds.places.name(street.postcode) or ""
            out.append(
                StreetSuggestion(
                    name=street.name,
                    postcode=street.postcode,
                    municipality=place,
                    score=round(s.score, 3),
                    numbers=street_numbers(self.ds, s.street_id),
                )
            )
        return out

    def lookup_point(self, lon: float, lat: float) -> LookupResult:
        """Return the zones covering a WGS84 point (every zone it touches), with what to do next."""
        result = self._lookup_point(lon, lat)
        result.next_steps = next_steps(result, self.contacts)
        return result

    def _lookup_point(self, lon: float, lat: float) -> LookupResult:
        try:
            p = check_lonlat(lon, lat)
        except CoordinateError as exc:
            raise PointError(str(exc)) from None
        zone_ids = self.ds.index.covering(to_lambert72(p))
        refs = self._refs(zone_ids)
        loc = Location(lat=p.lat, lon=p.lon)
        notices = [self._notice("on_zone_border", zones=refs)] if len(refs) > 1 else []
        if not refs:
            return LookupResult(
                status="no_zone",
                location=loc,
                precision="coordinates",
                message=messages.NO_ZONE_POINT,
                actions=["start_group"],
            )
        return LookupResult(
            status="found",
            location=loc,
            zones=refs,
            precision="coordinates",
            warnings=notices,
            message=messages.found_point(refs),
            actions=["join_group"],
        )

    # -- the zones of an address ------------------------------------------------------------
    def _resolve_address(self, g: GeocodedAddress) -> _Found:
        """Add the zones of a register address (and whether it lies near another zone)."""
        assert g.id is not None
        row = self.ds.table[g.id]
        notices = [self._render(n) for n in g.notices]
        if row.near:
            notices.insert(0, self._notice("near_zone_boundary", zones=self._refs(row.near)))
        return self._found(g, row.zone_ids, notices)

    @staticmethod
    def _found(g: GeocodedAddress, zone_ids: tuple[str, ...], notices: list[Notice]) -> _Found:
        return _Found(
            g.address, zone_ids, _location(g.position.lonlat), g.position.precision, notices
        )

    def _resolve_missing_number(self, g: Geocode) -> list[_Found]:
        """A number the register does not have: a street rule decides, else the neighbours on its side."""
        assert g.street_id is not None and g.query.housenumber is not None
        sid, housenumber, [typed] = g.street_id, g.query.housenumber, g.addresses
        number = parse_register_number(housenumber)
        notices = [self._render(n) for n in typed.notices]
        by_rule = tuple(
            z
            for z, rule in self.ds.side.rules.by_street.get(sid, [])
            if number is not None and rule.covers(number)
        )
        if by_rule:
            return [self._found(typed, by_rule, notices)]
        neighbours = self.geo.neighbours(sid, housenumber)
        zone_sets = {self.ds.table[a].zone_ids for a in neighbours}
        if len(zone_sets) == 1:
            return [self._found(typed, zone_sets.pop(), notices)]
        return [self._resolve_address(self.geo.address(a)) for a in neighbours]

    def _whole_street(self, g: Geocode, notices: list[Notice]) -> LookupResult:
        """A street without a house number: one zone for the whole street, or ask for the number."""
        assert g.street_id is not None
        sid, [street] = g.street_id, g.addresses
        by_zone: dict[tuple[str, ...], int] = {}
        for a in self.ds.register.on_street(sid):
            by_zone.setdefault(self.ds.table[a].zone_ids, a)
        if len(by_zone) == 1:
            own = [self._render(n) for n in street.notices]  # no house number
            return self._result(self._found(street, next(iter(by_zone)), own), notices)
        candidates = [
            self._candidate(self._resolve_address(self.geo.address(a))) for a in by_zone.values()
        ]
        result = self._result_ambiguous(candidates, notices)
        result.message = messages.AMBIGUOUS_NUMBER
        result.actions = ["add_housenumber", "pick_candidate"]
        # Which numbers go where ("1-125 (oneven): geen groep"), rather than a made-up address.
        result.street_parts = [
            StreetPart(zones=self._refs(zone_set), numbers=numbers)
            for zone_set, numbers in street_parts(self.ds, sid)
        ]
        return result

    # -- building results -------------------------------------------------------------------
    def _refs(self, zone_ids: tuple[str, ...] | list[str]) -> list[ZoneRef]:
        return [
            ZoneRef(id=z.id, name=z.name, area=z.props.area)
            for z in map(self.ds.zones.get, zone_ids)
        ]

    @staticmethod
    def _render(notice: AddressNotice) -> Notice:
        """Return a notice of the geocoder in Dutch."""
        return Notice(code=notice.code, message=messages.warning_text(notice.code, **notice.values))

    def _notice(self, code: str, zones: list[ZoneRef] | None = None, **values: str) -> Notice:
        return Notice(code=code, message=messages.warning_text(code, **values), zones=zones or [])

    @staticmethod
    def _distinct(found: list[_Found]) -> list[_Found]:
        """Duplicate register keys that agree on the zone are one answer; prefer a positioned one."""
        by_zone: dict[tuple[str, ...], _Found] = {}
        for f in sorted(found, key=lambda f: f.precision != "address"):
            by_zone.setdefault(f.zone_ids, f)
        return list(by_zone.values())

    def _candidate(self, f: _Found | GeocodedAddress) -> Candidate:
        if isinstance(f, GeocodedAddress):
            # A street that may be meant: the zones of its address with the typed number, if any.
            if f.id is None:
                return Candidate(address=f.address, location=_location(f.position.lonlat))
            f = self._resolve_address(f)
        return Candidate(address=f.address, location=f.location, zones=self._refs(f.zone_ids))

    def _label(self, address: CanonicalAddress) -> str:
        number = f" {address.housenumber}" if address.housenumber else ""
        box = f" bus {address.box}" if address.box else ""
        return f"{address.street}{number}{box}, {address.postcode} {address.municipality_label}".strip()

    def _result(self, f: _Found, notices: list[Notice]) -> LookupResult:
        refs = self._refs(f.zone_ids)
        label = self._label(f.address)
        result = LookupResult(
            status="found",
            address=f.address,
            location=f.location,
            precision=f.precision,
            warnings=[*notices, *f.notices],
            zones=refs,
            message=messages.found(label, refs) if refs else messages.no_zone(label),
            actions=["join_group"] if refs else ["start_group"],
        )
        if not refs:
            result.status = "no_zone"
        return result

    @staticmethod
    def _not_found(notices: list[Notice]) -> LookupResult:
        return LookupResult(
            status="not_found",
            message=messages.NOT_FOUND,
            warnings=notices,
            actions=["contact_municipality", "report_problem"],
        )

    @classmethod
    def _result_ambiguous(cls, candidates: list[Candidate], notices: list[Notice]) -> LookupResult:
        if not candidates:
            return cls._not_found(notices)
        return LookupResult(
            status="ambiguous",
            candidates=candidates[:MAX_CANDIDATES],
            warnings=notices,
            message=messages.AMBIGUOUS,
            actions=["pick_candidate", "contact_municipality"],
        )
