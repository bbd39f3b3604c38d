"""Which WABP group is mine? Resolving a typed address, or a point, to its zone(s).

An address is matched against the register (see `geo.matcher`), then its zones are read from the
address -> zone table built at load time (street rules first, polygon otherwise). Only coordinates
are tested against the polygons live. When unsure, the answer says so: ``ambiguous`` with candidates,
never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from geo.crs import LonLat, check_lonlat, to_lambert72
from geo.errors import CoordinateError
from geo.housenumber import parse_register_number
from geo.matcher import StreetMatch
from geo.normalize import street_key
from geo.parse import ParsedAddress, parse_alternatives
from zones import messages
from zones.coverage import street_numbers, street_parts
from zones.dataset import Dataset
from zones.errors import LookupInputError, PointError
from zones.nextsteps import DEFAULT_JOIN_URL, contacts_of, next_steps
from zones.results import (
    Candidate,
    CanonicalAddress,
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
MAX_CANDIDATES = 5


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
        self._postcodes = dataset.base.postcodes
        # Register-side resolution (house numbers, positions), shared by every generation.
        self.geo = dataset.base.geocoder
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
        options = parse_alternatives(query)
        if len(options) > 1:
            # Street names may hold numbers ("Z. 4 Broekooi 150"): the split whose street exists
            # wins; else each split in turn, until one is more than not_found.
            exact = [o for o in options if self.ds.matcher.ids(street_key(o.street))]
            if len(exact) > 1:  # "Brug 1 5": the street "Brug 1" or number 1 of "Brug"?
                exact = [o for o in exact if self._number_exists(o)] or exact
            if exact:
                return self._resolve(exact[0])
            first = self._resolve(options[0])
            if first.status != "not_found":
                return first
            for option in options[1:]:
                result = self._resolve(option)
                if result.status != "not_found":
                    return result
            return first
        return self._resolve(options[0])

    def _resolve(self, parsed: ParsedAddress) -> LookupResult:
        if not any(c.isalpha() for c in parsed.street):
            return LookupResult(
                status="not_found", message=messages.NO_STREET, actions=["report_problem"]
            )
        notices: list[Notice] = []
        postcodes = self._allowed_postcodes(parsed, notices)
        if isinstance(postcodes, LookupResult):
            return postcodes
        return self._match_street(parsed, postcodes, notices)

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

    # -- place and street -------------------------------------------------------------------
    def _allowed_postcodes(
        self, parsed: ParsedAddress, notices: list[Notice]
    ) -> set[str] | None | LookupResult:
        """Return the postcodes the typed place allows (None: anywhere), or a not_found answer."""
        if parsed.postcode is not None:
            if parsed.postcode not in self._postcodes:
                return LookupResult(
                    status="not_found",
                    message=messages.NOT_SERVED.format(postcode=parsed.postcode),
                    actions=["contact_municipality"],
                )
            return {parsed.postcode}
        if parsed.place:
            postcodes = self.ds.places.resolve(parsed.place)
            if postcodes is None:
                notices.append(self._notice("place_ignored", place=parsed.place))
                return None
            served = postcodes & self._postcodes
            if not served:
                return LookupResult(
                    status="not_found",
                    message=messages.NOT_SERVED.format(postcode=sorted(postcodes)[0]),
                    actions=["contact_municipality"],
                )
            return served
        return None

    def _match_street(
        self, parsed: ParsedAddress, postcodes: set[str] | None, notices: list[Notice]
    ) -> LookupResult:
        matcher = self.ds.matcher
        match = matcher.match(parsed.street, postcodes, self._has_number(parsed, postcodes))
        if match.status in ("none", "ambiguous") and postcodes is not None:
            # The street may be right and the place wrong (bePelias retries without the city):
            # offer the street elsewhere, never assume it. Only an exact name is looked for in the
            # whole register unless nothing at all came close here: a fuzzy pass over every
            # street of Flanders costs milliseconds and mostly finds look-alikes.
            wider = (
                matcher.match(parsed.street, None, self._has_number(parsed, None))
                if match.status == "none"
                else self._exact(parsed.street)
            )
            if wider.status == "exact" or (match.status == "none" and wider.status != "none"):
                ids = [i for key, _ in wider.keys for i in matcher.ids(key)]
                ids += [i for key, _ in match.keys for i in matcher.ids(key, postcodes)]
                notices.append(self._notice("place_mismatch"))
                return self._ambiguous(parsed, ids, notices)
        if match.status == "none":
            return LookupResult(
                status="not_found",
                message=messages.NOT_FOUND,
                warnings=notices,
                actions=["contact_municipality", "report_problem"],
            )
        ids = [i for key, _ in match.keys for i in matcher.ids(key, postcodes)]
        found: dict[int, tuple[list[int], str | None]] | None = None
        if match.status != "ambiguous" and len(ids) > 1 and parsed.housenumber is not None:
            # One name in several places (no place typed, or a place with several postcodes):
            # when only one of those streets has the house number, that is the resident's.
            found = dict(zip(ids, self._find_many(ids, parsed), strict=True))
            with_number = [i for i in ids if found[i][0]]
            if len(with_number) == 1:
                street = self.ds.register.streets[with_number[0]]
                place = street.municipality or self.ds.places.name(street.postcode) or ""
                notices.append(
                    self._notice(
                        "place_chosen",
                        place=f"{street.postcode} {place}".strip(),
                        number=parsed.housenumber.upper(),
                    )
                )
                ids = with_number
        if match.status == "ambiguous" or len(ids) > 1:
            return self._ambiguous(parsed, ids, notices, found)
        street = self.ds.register.streets[ids[0]]
        if match.status == "fuzzy":
            notices.append(self._notice("street_corrected", street=street.name))
        return self._on_street(parsed, ids[0], notices)

    def _exact(self, typed: str) -> StreetMatch:
        key = street_key(typed)
        return (
            StreetMatch("exact", [(key, 1.0)]) if self.ds.matcher.ids(key) else StreetMatch("none")
        )

    def _has_number(
        self, parsed: ParsedAddress, postcodes: set[str] | None
    ) -> Callable[[str], bool] | None:
        """Return a test of whether a street name (key) in `postcodes` has the typed number."""
        if parsed.housenumber is None:
            return None
        matcher = self.ds.matcher
        return lambda key: any(
            ids for ids, _ in self._find_many(matcher.ids(key, postcodes), parsed)
        )

    def _number_exists(self, parsed: ParsedAddress) -> bool:
        """Tell whether a street of the parsed name, anywhere, has the parsed house number."""
        has_number = self._has_number(parsed, None)
        return has_number is not None and has_number(street_key(parsed.street))

    def _find(self, sid: int, parsed: ParsedAddress) -> tuple[list[int], str | None]:
        """Return the register ids of the typed number on a street, and the box left over."""
        return self._find_many([sid], parsed)[0]

    def _find_many(
        self, sids: list[int], parsed: ParsedAddress
    ) -> list[tuple[list[int], str | None]]:
        """Return, per street, the register ids of the typed number and the box left over."""
        return self.geo.find(sids, parsed)

    # -- house number -----------------------------------------------------------------------
    def _on_street(self, parsed: ParsedAddress, sid: int, notices: list[Notice]) -> LookupResult:
        if parsed.housenumber is None:
            return self._whole_street(sid, notices)
        if parsed.range_end:
            notices.append(self._notice("housenumber_range", number=parsed.housenumber))
        ids, box = self._find(sid, parsed)
        if box and not any(self.ds.register.boxes[a] for a in self.ds.register.on_street(sid)):
            notices.append(self._notice("box_unverified", box=box))
        if ids:
            options = self._distinct([self._resolve_address(a, box) for a in ids])
        else:
            options = self._resolve_missing_number(sid, parsed)
        if len(options) != 1:
            return self._result_ambiguous([self._candidate(f) for f in options], notices)
        return self._result(options[0], notices)

    def _resolve_address(self, a: int, box: str | None) -> _Found:
        reg = self.ds.register
        row = self.ds.table[a]
        notices: list[Notice] = []
        if row.near:
            notices.append(self._notice("near_zone_boundary", zones=self._refs(row.near)))
        position = self.geo.position(a)
        if not reg.positioned[a]:
            notices.append(self._notice("approximate_position"))
        location = _location(position.lonlat)
        return _Found(self._canonical(a, box), row.zone_ids, location, position.precision, notices)

    def _resolve_missing_number(self, sid: int, parsed: ParsedAddress) -> list[_Found]:
        """A number the register does not have: a street rule decides, else the neighbours on its side."""
        assert parsed.housenumber is not None
        street = self.ds.register.streets[sid]
        typed = parse_register_number(parsed.housenumber)
        address = CanonicalAddress(
            street=street.name,
            housenumber=parsed.housenumber.upper(),
            box=parsed.box,
            postcode=street.postcode,
            municipality=street.municipality,
        )
        notices = [self._notice("housenumber_not_found", number=parsed.housenumber)]
        estimate = self.geo.estimate(sid, parsed.housenumber)
        location, precision = _location(estimate.lonlat), estimate.precision
        by_rule = tuple(
            z
            for z, rule in self.ds.side.rules.by_street.get(sid, [])
            if typed is not None and rule.covers(typed)
        )
        if by_rule:
            return [_Found(address, by_rule, location, precision, notices)]
        lower, higher = self.geo.neighbours(sid, parsed.housenumber)
        zone_sets = {self.ds.table[a].zone_ids for a in (lower, higher) if a is not None}
        if len(zone_sets) == 1:
            return [_Found(address, zone_sets.pop(), location, precision, notices)]
        return [self._resolve_address(a, None) for a in (lower, higher) if a is not None]

    def _whole_street(self, sid: int, notices: list[Notice]) -> LookupResult:
        """A street without a house number: one zone for the whole street, or ask for the number."""
        reg = self.ds.register
        by_zone: dict[tuple[str, ...], int] = {}
        for a in reg.on_street(sid):
            by_zone.setdefault(self.ds.table[a].zone_ids, a)
        if len(by_zone) == 1:
            street = reg.streets[sid]
            address = CanonicalAddress(
                street=street.name, postcode=street.postcode, municipality=street.municipality
            )
            notices.append(self._notice("housenumber_missing"))
            location = self._street_centre(sid)
            return self._result(
                _Found(address, next(iter(by_zone)), location, "street", []), notices
            )
        candidates = [self._candidate(self._resolve_address(a, None)) for a in by_zone.values()]
        result = self._result_ambiguous(candidates, notices)
        result.message = messages.AMBIGUOUS_NUMBER
        result.actions = ["add_housenumber", "pick_candidate"]
        # Which numbers go where ("1-125 (oneven): geen groep"), rather than a made-up address.
        result.street_parts = [
            StreetPart(zones=self._refs(zone_set), numbers=numbers)
            for zone_set, numbers in street_parts(self.ds, sid)
        ]
        return result

    def _street_centre(self, sid: int) -> Location | None:
        return _location(self.geo.street_centre(sid))

    # -- building results -------------------------------------------------------------------
    def _canonical(self, a: int, box: str | None) -> CanonicalAddress:
        reg = self.ds.register
        street = reg.streets[int(reg.street_of[a])]
        return CanonicalAddress(
            street=street.name,
            housenumber=reg.housenumbers[a],
            box=reg.boxes[a] or box,
            postcode=street.postcode,
            municipality=street.municipality,
        )

    def _refs(self, zone_ids: tuple[str, ...] | list[str]) -> list[ZoneRef]:
        return [
            ZoneRef(id=z.id, name=z.name, area=z.props.area)
            for z in map(self.ds.zones.get, zone_ids)
        ]

    def _notice(self, code: str, zones: list[ZoneRef] | None = None, **values: str) -> Notice:
        return Notice(code=code, message=messages.warning_text(code, **values), zones=zones or [])

    @staticmethod
    def _distinct(found: list[_Found]) -> list[_Found]:
        """Duplicate register keys that agree on the zone are one answer; prefer a positioned one."""
        by_zone: dict[tuple[str, ...], _Found] = {}
        for f in sorted(found, key=lambda f: f.precision != "address"):
            by_zone.setdefault(f.zone_ids, f)
        return list(by_zone.values())

    def _candidate(self, f: _Found) -> Candidate:
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

    def _ambiguous(
        self,
        parsed: ParsedAddress,
        street_ids: list[int],
        notices: list[Notice],
        found: dict[int, tuple[list[int], str | None]] | None = None,
    ) -> LookupResult:
        # "Kerkstraat 12" without a place has hundreds of streets in Flanders: only as many as are
        # shown are resolved, those with the house number first.
        streets = list(dict.fromkeys(street_ids))
        found_on = found if found is not None else {}
        missing = [sid for sid in streets if sid not in found_on]
        found_on.update(zip(missing, self._find_many(missing, parsed), strict=True))
        streets.sort(key=lambda sid: not found_on[sid][0])
        candidates = []
        for sid in streets[:MAX_CANDIDATES]:
            ids, box = found_on[sid]
            if ids:
                candidates.append(self._candidate(self._resolve_address(ids[0], box)))
            else:
                street = self.ds.register.streets[sid]
                candidates.append(
                    Candidate(
                        address=CanonicalAddress(
                            street=street.name,
                            housenumber=parsed.housenumber,
                            postcode=street.postcode,
                            municipality=street.municipality,
                        ),
                        location=self._street_centre(sid),
                    )
                )
        return self._result_ambiguous(candidates, notices)

    @staticmethod
    def _result_ambiguous(candidates: list[Candidate], notices: list[Notice]) -> LookupResult:
        if not candidates:
            return LookupResult(
                status="not_found",
                message=messages.NOT_FOUND,
                warnings=notices,
                actions=["contact_municipality", "report_problem"],
            )
        return LookupResult(
            status="ambiguous",
            candidates=candidates[:MAX_CANDIDATES],
            warnings=notices,
            message=messages.AMBIGUOUS,
            actions=["pick_candidate", "contact_municipality"],
        )
