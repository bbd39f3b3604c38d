"""Geocoding: a typed address to the register's street, addresses and position, whatever the zones.

The place typed narrows the postcodes; the street is matched within them (`geo.matcher`), and again
in the whole register when the place seems wrong; one name in several places is settled by which of
them has the house number; the number is then found on the street (`geo.positions`). When unsure,
the answer says so: ``ambiguous`` with candidates, never a guess. It knows nothing of zones:
`zones.lookup` turns a `Geocode` into the zone answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from geo.geocode import AddressNotice, CanonicalAddress, Geocode, GeocodedAddress, NoticeCode
from geo.matcher import StreetMatch, StreetMatcher
from geo.normalize import street_key
from geo.parse import ParsedAddress, parse_alternatives
from geo.places import PlaceIndex
from geo.positions import Position, Positions
from geo.register import AddressRegister

# Candidates an ambiguous answer offers: only as many streets as are shown are resolved.
MAX_CANDIDATES = 5

Found = tuple[list[int], str | None]  # the register ids of a typed number on a street, the box left


def _notice(code: NoticeCode, **values: str) -> AddressNotice:
    return AddressNotice(code, values)


class Geocoder:
    """Geocode typed addresses against one register, its street names and a place index."""

    def __init__(
        self,
        register: AddressRegister,
        matcher: StreetMatcher,
        places: PlaceIndex,
        positions: Positions | None = None,
        postcodes: set[str] | None = None,
    ) -> None:
        self.register = register
        self.matcher = matcher
        self.places = places
        self.positions = positions or Positions(register)
        self.postcodes = postcodes if postcodes is not None else register.postcodes()

    def with_places(self, places: PlaceIndex) -> Geocoder:
        """Return this geocoder reading place names from `places` (positions stay shared)."""
        if places is self.places:
            return self
        return Geocoder(self.register, self.matcher, places, self.positions, self.postcodes)

    # -- the query ------------------------------------------------------------------------------
    def geocode(self, query: str | ParsedAddress) -> Geocode:
        """Geocode a typed address (or one reading of it); a text tries its readings in turn."""
        if isinstance(query, ParsedAddress):
            return self._geocode(query)
        first: Geocode | None = None
        for geocode in self.geocodes(query):
            if geocode.status != "not_found":
                return geocode
            first = first or geocode
        assert first is not None  # a text has at least one reading
        return first

    def geocodes(self, query: str) -> Iterator[Geocode]:
        """Yield the geocodes of a text's readings, the likeliest first, each when asked for.

        Street names may hold numbers ("Z. 4 Broekooi 150"): a reading whose street exists is the
        only one; else every reading in turn, for the caller to take the first that is found.
        """
        options = parse_alternatives(query)
        if len(options) > 1:
            exact = [o for o in options if self.matcher.ids(street_key(o.street))]
            if len(exact) > 1:  # "Brug 1 5": the street "Brug 1" or number 1 of "Brug"?
                exact = [o for o in exact if self._number_exists(o)] or exact
            if exact:
                options = exact[:1]
        return (self._geocode(o) for o in options)

    def _geocode(self, parsed: ParsedAddress) -> Geocode:
        if not any(c.isalpha() for c in parsed.street):
            return Geocode("no_street", parsed)
        notices: list[AddressNotice] = []
        postcodes = self._allowed_postcodes(parsed, notices)
        if isinstance(postcodes, Geocode):
            return postcodes
        return self._match_street(parsed, postcodes, notices)

    # -- place and street -------------------------------------------------------------------
    def _allowed_postcodes(
        self, parsed: ParsedAddress, notices: list[AddressNotice]
    ) -> set[str] | None | Geocode:
        """Return the postcodes the typed place allows (None: anywhere), or an ``outside`` answer."""
        if parsed.postcode is not None:
            if parsed.postcode not in self.postcodes:
                return Geocode("outside", parsed, postcode=parsed.postcode)
            return {parsed.postcode}
        if parsed.place:
            postcodes = self.places.resolve(parsed.place)
            if postcodes is None:
                notices.append(_notice("place_ignored", place=parsed.place))
                return None
            served = postcodes & self.postcodes
            if not served:
                return Geocode("outside", parsed, postcode=sorted(postcodes)[0])
            return served
        return None

    def _match_street(
        self, parsed: ParsedAddress, postcodes: set[str] | None, notices: list[AddressNotice]
    ) -> Geocode:
        matcher = self.matcher
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
                notices.append(_notice("place_mismatch"))
                return self._ambiguous(parsed, ids, notices)
        if match.status == "none":
            return Geocode("not_found", parsed, notices)
        ids = [i for key, _ in match.keys for i in matcher.ids(key, postcodes)]
        found: dict[int, Found] | None = None
        if match.status != "ambiguous" and len(ids) > 1 and parsed.housenumber is not None:
            # One name in several places (no place typed, or a place with several postcodes):
            # when only one of those streets has the house number, that is the resident's.
            found = dict(zip(ids, self.positions.find(ids, parsed), strict=True))
            with_number = [i for i in ids if found[i][0]]
            if len(with_number) == 1:
                street = self.register.streets[with_number[0]]
                place = street.municipality or self.places.name(street.postcode) or ""
                notices.append(
                    _notice(
                        "place_chosen",
                        place=f"{street.postcode} {place}".strip(),
                        number=parsed.housenumber.upper(),
                    )
                )
                ids = with_number
        if match.status == "ambiguous" or len(ids) > 1:
            return self._ambiguous(parsed, ids, notices, found)
        if match.status == "fuzzy":
            notices.append(_notice("street_corrected", street=self.register.streets[ids[0]].name))
        return self._on_street(parsed, ids[0], notices)

    def _exact(self, typed: str) -> StreetMatch:
        key = street_key(typed)
        return StreetMatch("exact", [(key, 1.0)]) if self.matcher.ids(key) else StreetMatch("none")

    def _has_number(
        self, parsed: ParsedAddress, postcodes: set[str] | None
    ) -> Callable[[str], bool] | None:
        """Return a test of whether a street name (key) in `postcodes` has the typed number."""
        if parsed.housenumber is None:
            return None
        matcher, find = self.matcher, self.positions.find
        return lambda key: any(ids for ids, _ in find(matcher.ids(key, postcodes), parsed))

    def _number_exists(self, parsed: ParsedAddress) -> bool:
        """Tell whether a street of the parsed name, anywhere, has the parsed house number."""
        has_number = self._has_number(parsed, None)
        return has_number is not None and has_number(street_key(parsed.street))

    def _ambiguous(
        self,
        parsed: ParsedAddress,
        street_ids: list[int],
        notices: list[AddressNotice],
        found: dict[int, Found] | None = None,
    ) -> Geocode:
        # "Kerkstraat 12" without a place has hundreds of streets in Flanders: only as many as are
        # shown are resolved, those with the house number first.
        streets = list(dict.fromkeys(street_ids))
        found_on = found if found is not None else {}
        missing = [sid for sid in streets if sid not in found_on]
        found_on.update(zip(missing, self.positions.find(missing, parsed), strict=True))
        streets.sort(key=lambda sid: not found_on[sid][0])
        candidates = []
        for sid in streets[:MAX_CANDIDATES]:
            ids, box = found_on[sid]
            if ids:
                candidates.append(self.address(ids[0], box))
            else:
                street = self.register.streets[sid]
                address = CanonicalAddress(
                    street=street.name,
                    housenumber=parsed.housenumber,
                    postcode=street.postcode,
                    municipality=street.municipality,
                )
                candidates.append(GeocodedAddress(address, self.street_centre(sid)))
        if not candidates:
            return Geocode("not_found", parsed, notices)
        return Geocode("ambiguous", parsed, notices, candidates=candidates)

    # -- house number -----------------------------------------------------------------------
    def _on_street(self, parsed: ParsedAddress, sid: int, notices: list[AddressNotice]) -> Geocode:
        reg = self.register
        street = reg.streets[sid]
        if parsed.housenumber is None:
            address = CanonicalAddress(
                street=street.name, postcode=street.postcode, municipality=street.municipality
            )
            no_number = (_notice("housenumber_missing"),)
            on_street = GeocodedAddress(address, self.street_centre(sid), notices=no_number)
            return Geocode("street", parsed, notices, sid, [on_street])
        if parsed.range_end:
            notices.append(_notice("housenumber_range", number=parsed.housenumber))
        ids, box = self.positions.find([sid], parsed)[0]
        if box and not any(reg.boxes[a] for a in reg.on_street(sid)):
            notices.append(_notice("box_unverified", box=box))
        if ids:
            return Geocode("found", parsed, notices, sid, [self.address(a, box) for a in ids])
        typed = CanonicalAddress(
            street=street.name,
            housenumber=parsed.housenumber.upper(),
            box=parsed.box,
            postcode=street.postcode,
            municipality=street.municipality,
        )
        estimate = self.positions.estimate(sid, parsed.housenumber)
        not_found = _notice("housenumber_not_found", number=parsed.housenumber)
        missing = GeocodedAddress(typed, estimate, notices=(not_found,))
        return Geocode("unknown_number", parsed, notices, sid, [missing])

    def address(self, a: int, box: str | None = None) -> GeocodedAddress:
        """Return register address `a` as the register writes it (with a typed `box` it lacks)."""
        reg = self.register
        street = reg.streets[int(reg.street_of[a])]
        address = CanonicalAddress(
            street=street.name,
            housenumber=reg.housenumbers[a],
            box=reg.boxes[a] or box,
            postcode=street.postcode,
            municipality=street.municipality,
        )
        notices = () if reg.positioned[a] else (_notice("approximate_position"),)
        return GeocodedAddress(address, self.positions.position(a), a, notices)

    def neighbours(self, sid: int, housenumber: str) -> list[int]:
        """Return the register ids of the nearest lower and higher numbers on the typed one's side."""
        return [a for a in self.positions.neighbours(sid, housenumber) if a is not None]

    def street_centre(self, sid: int) -> Position:
        """Return the street's centre (a positioned address of it), with precision ``street``."""
        return Position(self.positions.street_centre(sid), "street")
