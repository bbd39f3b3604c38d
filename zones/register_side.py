"""The register side of a dataset: what depends on the addresses only, built once per load.

The register, its street matcher and autocomplete, the place names, the municipality boundary and
the infoborden do not change when the zones do: every generation and every proposal report shares
one `RegisterSide` and builds only a new `zones.zone_side.ZoneSide`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from shapely.geometry.base import BaseGeometry

from geo.geocoder import Geocoder
from geo.matcher import StreetMatcher
from geo.municipalities import municipality_places, with_merged_names
from geo.normalize import street_words_by_name
from geo.places import PlaceIndex, read_bpost
from geo.register import AddressRegister
from geo.spatial import PointGrid
from geo.suggest import StreetSuggester
from zones.assign import streets_by_name
from zones.schema import to_l72
from zones.storage import InfobordFeature


@dataclass(eq=False)
class RegisterSide:
    """The address register and everything derived from it alone."""

    register: AddressRegister
    boundary: BaseGeometry | None
    boundary_l72: BaseGeometry | None
    infoborden: list[InfobordFeature]
    # bpost's place names, every municipality name of each postcode (2024 and 2025) and the
    # register's municipalities; zone areas are added per zone side.
    place_pairs: list[tuple[str, str]]
    by_name: dict[str, list[int]]
    postcodes: set[str]
    # Expensive things derived on demand (e.g. Voronoi cells of the addresses), kept for reuse.
    derived: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        register: AddressRegister,
        boundary: BaseGeometry | None = None,
        infoborden: list[InfobordFeature] | None = None,
        *,
        matcher: StreetMatcher | None = None,
        suggester: StreetSuggester | None = None,
        boundary_l72: BaseGeometry | None = None,
    ) -> RegisterSide:
        """Index a loaded register (reusing cached street indexes, and `boundary` in Lambert 72, when given).

        The street indexes are built on first use (see `matcher` and `suggester`): a load builds
        the matcher while it assigns the addresses, and the service the autocomplete after start.
        """
        streets = register.streets
        # Each (postcode, municipality) once: a place index keeps the first of equal pairs.
        names = list(dict.fromkeys((s.postcode, s.municipality) for s in streets if s.municipality))
        # Old and new names across the 2025 mergers (Borgloon, Tongeren-Borgloon) both place an address.
        pairs = with_merged_names([*read_bpost(), *municipality_places(), *names])
        side = cls(
            register=register,
            boundary=boundary,
            boundary_l72=boundary_l72
            if boundary_l72 is not None or boundary is None
            else to_l72(boundary),
            infoborden=infoborden or [],
            place_pairs=pairs,
            by_name=streets_by_name(register),
            postcodes=register.postcodes(),
        )
        # Given (from the cache): what the cached properties would build.
        if matcher is not None:
            side.__dict__["matcher"] = matcher
        if suggester is not None:
            side.__dict__["suggester"] = suggester
        return side

    def with_infoborden(self, infoborden: list[InfobordFeature]) -> RegisterSide:
        """Return the same register side with other infoborden (the indexes built so far kept)."""
        side = replace(self, infoborden=infoborden)
        for name in _REGISTER_ONLY:
            if name in self.__dict__:
                side.__dict__[name] = self.__dict__[name]
        return side

    @cached_property
    def matcher(self) -> StreetMatcher:
        """Return the street matcher (built on first use; `zones.dataset` builds it at load)."""
        streets = self.register.streets
        names = [s.name for s in streets]
        # Each distinct name normalised once (a name recurs in many postcodes).
        words = street_words_by_name(names)
        return StreetMatcher(names, [s.postcode for s in streets], words=words)

    @cached_property
    def suggester(self) -> StreetSuggester:
        """Return the street autocomplete (built on first use; the service builds it at start)."""
        return StreetSuggester([s.name for s in self.register.streets])

    @cached_property
    def places(self) -> PlaceIndex:
        """Return the place index of bpost's names and the register's municipalities."""
        return PlaceIndex(self.place_pairs)

    @cached_property
    def geocoder(self) -> Geocoder:
        """Return the geocoder of this register and its places (one per register)."""
        return Geocoder(self.register, self.matcher, self.places, postcodes=self.postcodes)

    @cached_property
    def grid(self) -> PointGrid:
        """Return the addresses bucketed by position (for "which addresses can a change reach")."""
        return PointGrid(self.register.x, self.register.y)


# The cached properties that depend on the register alone (not on boundary or infoborden).
_REGISTER_ONLY = ("matcher", "suggester", "places", "geocoder", "grid")
