"""A dataset directory: the address register, the zones, the boundary and the infoborden.

Layout (the shipped ``data/`` is Alken's)::

    addresses.csv        the address register (CRAB-style or BeST CSV)
    zones.geojson        the zones (WGS84)
    boundary.geojson     the municipality boundary (optional: without it, boundary checks are skipped)
    infoborden.geojson   information boards (optional)
    dataset.json         name and settings of the dataset (optional)

Loading builds every index once: the register side (register, street matcher, places, boundary,
infoborden) and the zone side (zone index, address -> zone table). A lookup then never scans all
addresses or zones; another generation or a proposal builds only a new zone side.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from geo.matcher import StreetMatcher
from geo.places import PlaceIndex
from geo.register import AddressRegister
from geo.spatial import PolygonIndex
from geo.suggest import StreetSuggester
from zones.assign import AssignmentTable
from zones.cache import cache_key, load_cached, store_cached
from zones.errors import DatasetError
from zones.generations import GenerationStore
from zones.municipal import Municipalities, MunicipalityMeta, PoliceZoneMeta
from zones.register_side import RegisterSide
from zones.schema import ZoneSet, to_l72
from zones.storage import InfobordFeature, load_boundary, load_infoborden, load_zones
from zones.validate import Problem, check_zone_set
from zones.zone_side import ZoneSide

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


def read_meta(paths: DatasetPaths) -> DatasetMeta:
    """Return ``dataset.json`` of a dataset directory (the defaults when there is none)."""
    if not paths.meta.is_file():
        return DatasetMeta()
    try:
        return DatasetMeta.model_validate(json.loads(paths.meta.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise DatasetError(f"{paths.meta}: {exc}") from None


@dataclass(frozen=True)
class Extras:
    """The boundary of a dataset directory (WGS84 and Lambert 72; None without one), its infoborden."""

    boundary: BaseGeometry | None
    boundary_l72: BaseGeometry | None
    infoborden: list[InfobordFeature]


def _read_zones(path: Path) -> ZoneSet:
    """Read the current zone file (no zones when there is none)."""
    return load_zones(path) if path.is_file() else ZoneSet([])


def _read_extras(paths: DatasetPaths) -> Extras:
    """Read the boundary and infoborden files, where the dataset has them."""
    boundary = load_boundary(paths.boundary) if paths.boundary.is_file() else None
    infoborden = load_infoborden(paths.infoborden) if paths.infoborden.is_file() else []
    return Extras(boundary, to_l72(boundary) if boundary is not None else None, infoborden)


class Dataset:
    """Everything a lookup, a map or a validation needs: a register side and a zone side.

    The register side (`zones.register_side`) is built once per load and shared by every
    generation and proposal; `with_zones` builds only a new zone side (`zones.zone_side`).
    """

    def __init__(
        self, paths: DatasetPaths, meta: DatasetMeta, base: RegisterSide, side: ZoneSide
    ) -> None:
        self.paths = paths
        self.meta = meta
        self.base = base
        self.side = side

    # -- the register side --------------------------------------------------------------------
    @property
    def register(self) -> AddressRegister:
        """Return the address register."""
        return self.base.register

    @property
    def matcher(self) -> StreetMatcher:
        """Return the street matcher."""
        return self.base.matcher

    @property
    def suggester(self) -> StreetSuggester:
        """Return the street autocomplete."""
        return self.base.suggester

    @property
    def boundary(self) -> BaseGeometry | None:
        """Return the municipality boundary (WGS84), if the dataset has one."""
        return self.base.boundary

    @property
    def boundary_l72(self) -> BaseGeometry | None:
        """Return the municipality boundary in Lambert 72."""
        return self.base.boundary_l72

    @property
    def infoborden(self) -> list[InfobordFeature]:
        """Return the information boards."""
        return self.base.infoborden

    # -- the zone side ------------------------------------------------------------------------
    @property
    def zones(self) -> ZoneSet:
        """Return the zone set."""
        return self.side.zones

    @property
    def table(self) -> AssignmentTable:
        """Return the address -> zone table."""
        return self.side.table

    @property
    def problems(self) -> list[Problem]:
        """Return what validation found in the zone set."""
        return self.side.problems

    @property
    def index(self) -> PolygonIndex:
        """Return the spatial index of the active zones."""
        return self.side.index

    @property
    def places(self) -> PlaceIndex:
        """Return the place names (bpost, the register's municipalities, the zones' areas)."""
        return self.side.places

    @cached_property
    def municipalities(self) -> Municipalities:
        """Return the municipalities (and police zones) the dataset serves."""
        meta = self.meta
        return Municipalities(
            meta.municipalities,
            meta.police_zones,
            {s.municipality for s in self.register.streets} - {""} or {meta.name},
            member_cap=meta.member_cap,
            join_url=meta.join_url,
        )

    @property
    def derived(self) -> dict[str, Any]:
        """Return what was derived from this zone side on demand (kept for reuse)."""
        return self.side.derived

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
        meta = read_meta(paths)
        zones_path = GenerationStore(paths.root).current_path()
        key = cache_key(paths.addresses, zones_path)
        # The zone, boundary and infoborden files are read, and the zones checked (geometry,
        # overlaps, boundary), on another thread while the register is read (much of either is
        # work without the GIL: the CSV reader, PROJ, GEOS). Errors come in the order of reading
        # one after the other: the zone file's, the register's, the boundary's, the zones'.
        with ThreadPoolExecutor(1, thread_name_prefix="wabp-load") as pool:
            zones_read = pool.submit(_read_zones, zones_path)
            extras_read = pool.submit(_read_extras, paths)
            checked = pool.submit(
                lambda: check_zone_set(zones_read.result(), extras_read.result().boundary_l72)
            )
            try:
                cached = load_cached(paths.cache, key) if cache else None
                if isinstance(cached, tuple) and len(cached) == 4:
                    register, table, matcher, suggester = cached
                else:
                    cached = None
                    register = AddressRegister.from_csv(paths.addresses)
            except BaseException:
                zones_read.result()
                raise
            zones = zones_read.result()
            extras = extras_read.result()
            zone_problems = checked.result()
        if cached is not None:
            return cls.build(
                paths,
                meta,
                register,
                zones,
                strict=strict,
                table=table,
                matcher=matcher,
                suggester=suggester,
                extras=extras,
                zone_problems=zone_problems,
            )
        dataset = cls.build(
            paths, meta, register, zones, strict=strict, extras=extras, zone_problems=zone_problems
        )
        if cache:
            # The street indexes depend on the register only; normalising every street name of
            # Flanders twice takes seconds that a cached start does not need to spend.
            value = (register, dataset.table, dataset.matcher, dataset.suggester)
            store_cached(paths.cache, key, value)
        return dataset

    def with_zones(
        self, zones: ZoneSet, *, strict: bool = False, meta: DatasetMeta | None = None
    ) -> Dataset:
        """Return the same register side with another zone set (a generation or a proposal).

        Only the addresses the change can affect are assigned again (see `ZoneSide.changed_to`).
        `meta` replaces ``dataset.json``'s settings (e.g. a contact the municipality published).
        """
        side = self.side.changed_to(zones, strict=strict)
        return Dataset(self.paths, meta or self.meta, self.base, side)

    def with_infoborden_reloaded(self) -> Dataset:
        """Return the same dataset with ``infoborden.geojson`` read again (staff edited it)."""
        path = self.paths.infoborden
        boards = load_infoborden(path) if path.is_file() else []
        return Dataset(self.paths, self.meta, self.base.with_infoborden(boards), self.side)

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
        extras: Extras | None = None,
        zone_problems: list[Problem] | None = None,
    ) -> Dataset:
        """Index an already loaded register and zone set (reusing cached `table` and street indexes).

        `extras`: the boundary and infoborden, when the caller has read them; `zone_problems`:
        what `zones.validate.check_zone_set` found in `zones` with that boundary.
        """
        extras = extras if extras is not None else _read_extras(paths)
        base = RegisterSide.build(
            register,
            extras.boundary,
            extras.infoborden,
            matcher=matcher,
            suggester=suggester,
            boundary_l72=extras.boundary_l72,
        )
        # The street matcher (Python) is built on a second thread while the addresses are
        # assigned (mostly GEOS, without the GIL); the dataset is returned with both done.
        with ThreadPoolExecutor(1, thread_name_prefix="wabp-matcher") as pool:
            matcher_built = pool.submit(getattr, base, "matcher")
            side = ZoneSide.build(
                base, zones, strict=strict, table=table, zone_problems=zone_problems
            )
            matcher_built.result()
        return cls(paths, meta, base, side)
