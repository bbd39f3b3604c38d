"""A dataset directory: the address register, the zones, the boundary and the infoborden.

Layout (the shipped ``data/`` is Alken's)::

    addresses.csv        the address register (CRAB-style or BeST CSV)
    zones.geojson        the zones (WGS84)
    boundary.geojson     the municipality boundary (optional: without it, boundary checks are skipped)
    infoborden.geojson   information boards (optional)
    dataset.json         name and settings of the dataset (optional)

Loading builds every index once: the register, the street matcher, the zone index and the
address -> zone table. A lookup then never scans all addresses or zones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from geo.matcher import StreetMatcher
from geo.municipalities import municipality_places, with_merged_names
from geo.places import PlaceIndex, read_bpost
from geo.register import AddressRegister
from geo.spatial import PolygonIndex
from geo.suggest import StreetSuggester
from zones.assign import AssignmentTable, assign, find_conflicts, zone_index
from zones.cache import cache_key, load_cached, store_cached
from zones.errors import DatasetError, ZoneValidationError
from zones.generations import GenerationStore
from zones.municipal import Municipalities, MunicipalityMeta, PoliceZoneMeta
from zones.schema import ZoneSet, to_l72
from zones.storage import InfobordFeature, load_boundary, load_infoborden, load_zones
from zones.validate import Problem, check_streets, check_zone_set, has_errors

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class DatasetMeta(BaseModel):
    """``dataset.json``: what the dataset is called and how its groups are joined."""

    model_config = ConfigDict(extra="allow")

    name: str = "wabp"
    member_cap: int = Field(
        default=1024, ge=1, description="WhatsApp groups hold at most 1,024 members"
    )
    join_url: str | None = None
    # Several municipalities (e.g. a police zone); empty: the register's one municipality.
    municipalities: list[MunicipalityMeta] = Field(default_factory=list)
    police_zones: list[PoliceZoneMeta] = Field(default_factory=list)
    # The municipality's contact for residents (who to ask about buurtpreventie), as shown.
    contact: str | None = Field(default=None, max_length=300)
    contact_url: str | None = Field(default=None, max_length=300)


@dataclass(frozen=True)
class DatasetPaths:
    """Where the files of a dataset directory are."""

    root: Path

    @property
    def addresses(self) -> Path:
        """Return the register CSV path."""
        return self.root / "addresses.csv"

    @property
    def zones(self) -> Path:
        """Return the zones GeoJSON path."""
        return self.root / "zones.geojson"

    @property
    def boundary(self) -> Path:
        """Return the boundary GeoJSON path."""
        return self.root / "boundary.geojson"

    @property
    def infoborden(self) -> Path:
        """Return the infoborden GeoJSON path."""
        return self.root / "infoborden.geojson"

    @property
    def cache(self) -> Path:
        """Return the directory of derived, rebuildable files."""
        return self.root / ".cache"

    @property
    def meta(self) -> Path:
        """Return the dataset.json path."""
        return self.root / "dataset.json"


@dataclass
class Dataset:
    """Everything a lookup, a map or a validation needs, loaded and indexed once."""

    paths: DatasetPaths
    meta: DatasetMeta
    register: AddressRegister
    zones: ZoneSet
    boundary: BaseGeometry | None
    infoborden: list[InfobordFeature]
    table: AssignmentTable
    problems: list[Problem]
    index: PolygonIndex
    matcher: StreetMatcher
    places: PlaceIndex
    suggester: StreetSuggester
    boundary_l72: BaseGeometry | None = field(default=None)
    municipalities: Municipalities = field(
        default_factory=lambda: Municipalities([], [], [], member_cap=1024, join_url=None)
    )
    # Expensive things derived on demand (e.g. Voronoi cells for proposals), kept for reuse.
    derived: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path, *, strict: bool = True, cache: bool = True) -> Dataset:
        """Load and index a dataset directory; with `strict`, refuse a zone set that has errors.

        What is derived from the register and the zones is cached in ``<root>/.cache`` (see
        `zones.cache`), which makes a start with all of Flanders take seconds instead of a minute.
        """
        paths = DatasetPaths(Path(root))
        if not paths.root.is_dir():
            raise DatasetError(f"{root}: no such dataset directory")
        if not paths.addresses.is_file():
            raise DatasetError(f"{root}: no addresses.csv (create a dataset with `wabp init`)")
        meta = DatasetMeta()
        if paths.meta.is_file():
            try:
                meta = DatasetMeta.model_validate(
                    json.loads(paths.meta.read_text(encoding="utf-8"))
                )
            except ValueError as exc:
                raise DatasetError(f"{paths.meta}: {exc}") from None
        zones_path = GenerationStore(paths.root).current_path()
        zones = load_zones(zones_path) if zones_path.is_file() else ZoneSet([])
        key = cache_key(paths.addresses, zones_path)
        cached = load_cached(paths.cache, key) if cache else None
        if isinstance(cached, tuple) and len(cached) == 4:
            register, table, matcher, suggester = cached
            return cls.build(
                paths,
                meta,
                register,
                zones,
                strict=strict,
                table=table,
                matcher=matcher,
                suggester=suggester,
            )
        register = AddressRegister.from_csv(paths.addresses)
        dataset = cls.build(paths, meta, register, zones, strict=strict)
        if cache:
            # The street indexes depend on the register only; normalising every street name of
            # Flanders twice takes seconds that a cached start does not need to spend.
            value = (register, dataset.table, dataset.matcher, dataset.suggester)
            store_cached(paths.cache, key, value)
        return dataset

    def with_zones(self, zones: ZoneSet, *, strict: bool = False) -> Dataset:
        """Return the same register indexed against another zone set (a generation or a proposal)."""
        return Dataset.build(
            self.paths,
            self.meta,
            self.register,
            zones,
            strict=strict,
            matcher=self.matcher,
            suggester=self.suggester,
        )

    @classmethod
    def build(
        cls,
        paths: DatasetPaths,
        meta: DatasetMeta,
        register: AddressRegister,
        zones: ZoneSet,
        *,
        strict: bool = True,
        table: AssignmentTable | None = None,
        matcher: StreetMatcher | None = None,
        suggester: StreetSuggester | None = None,
    ) -> Dataset:
        """Index an already loaded register and zone set (reusing cached `table` and street indexes)."""
        boundary = load_boundary(paths.boundary) if paths.boundary.is_file() else None
        boundary_l72 = to_l72(boundary) if boundary is not None else None
        infoborden = load_infoborden(paths.infoborden) if paths.infoborden.is_file() else []
        problems = check_zone_set(zones, boundary_l72)
        if strict and has_errors(problems):
            raise ZoneValidationError([p for p in problems if p.severity == "error"])
        if table is None:
            table, conflicts = assign(zones, register)
        else:
            conflicts = find_conflicts(zones, register)
        problems += check_streets(zones, register, table, conflicts)
        if strict and has_errors(problems):
            raise ZoneValidationError([p for p in problems if p.severity == "error"])
        names = [(s.postcode, s.municipality) for s in register.streets if s.municipality]
        names += _area_places(zones, register, table)
        # Old and new names across the 2025 mergers (Borgloon, Tongeren-Borgloon) both place an address.
        places = with_merged_names([*read_bpost(), *municipality_places(), *names])
        return cls(
            paths=paths,
            meta=meta,
            register=register,
            zones=zones,
            boundary=boundary,
            infoborden=infoborden,
            table=table,
            problems=problems,
            index=zone_index(zones),
            matcher=matcher
            or StreetMatcher(
                [s.name for s in register.streets], [s.postcode for s in register.streets]
            ),
            places=PlaceIndex(places),
            suggester=suggester or StreetSuggester([s.name for s in register.streets]),
            boundary_l72=boundary_l72,
            municipalities=Municipalities(
                meta.municipalities,
                meta.police_zones,
                {s.municipality for s in register.streets} - {""} or {meta.name},
                member_cap=meta.member_cap,
                join_url=meta.join_url,
            ),
        )


def _area_places(
    zones: ZoneSet, register: AddressRegister, table: AssignmentTable
) -> list[tuple[str, str]]:
    """Return (postcode, area name) pairs so that hamlets and wijken ("Sint-Joris") count as places.

    bpost's list lacks many hamlets, and some share a name with a place elsewhere in Flanders;
    a zone's area names the part of this dataset's postcodes where its addresses are.
    """
    pairs = []
    for z, zone in enumerate(table.zone_ids):
        area = zones.get(zone).props.area
        if not area:
            continue
        streets = np.unique(register.street_of[table.primary == z])
        pairs += [
            (postcode, area)
            for postcode in sorted({register.streets[s].postcode for s in streets.tolist()})
        ]
    return pairs
