"""The address register: every official address with its street, house number and position.

Loads the CRAB-style CSV of ``../shared/data`` (``postcode,street,housenumber,lat,lon``) and the BeST
Address CSV layout (``streetname_nl,house_number,box_number,postcode,municipality_name_nl`` plus
``EPSG:31370_x/_y`` or ``EPSG:4326_lat/_lon``), detected from the header. Positions are kept in
Lambert 72 for geometry and WGS84 for output; an address without a position has NaN for both.
Duplicate keys (one house number on two terrain objects) are kept: both are real.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.crs import (
    FloatArray,
    LambertXY,
    LonLat,
    lambert72_to_lonlat_arrays,
    lonlat_to_lambert72_arrays,
)
from geo.errors import RegisterError
from geo.housenumber import HouseNumber, number_key, parse_register_number
from geo.threads import map_parts

CRAB_COLUMNS = ("postcode", "street", "housenumber", "lat", "lon")
# The older CRAB CSV exports (crab-tools, 2013) name the same columns differently.
CRAB_2013_ALIASES = {
    "PKANCODE": "postcode",
    "COMMUNE_NL": "municipality",
    "STREET_NL": "street",
    "HUISNR": "housenumber",
    "LAT": "lat",
    "LON": "lon",
}
BEST_COLUMNS = ("streetname_nl", "house_number", "postcode")


@dataclass(frozen=True)
class Street:
    """One street of one postcode: the unit residents pick and zones list."""

    id: int
    name: str
    postcode: str
    municipality: str


@dataclass(frozen=True)
class Address:
    """One register address; `xy` and `lonlat` are None when the register has no position."""

    id: int
    street: Street
    housenumber: str
    box: str | None
    xy: LambertXY | None
    lonlat: LonLat | None

    @property
    def number(self) -> HouseNumber | None:
        """Return the parsed house number (None for ``zn`` and the like)."""
        return parse_register_number(self.housenumber)

    def label(self) -> str:
        """Return the address as people write it (``Beukenlaan 30A, 3570 Alken``)."""
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street.name} {self.housenumber}{box}, {self.street.postcode} {self.street.municipality}".rstrip()


def _sniff_separator(path: Path, encoding: str) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding=encoding) as f:  # type: ignore[operator]
        header = f.readline()
    return max([",", ";", "\t"], key=header.count)


# Coordinate columns of every known layout (names as `normalise_frame` reads them, stripped).
COORDINATE_COLUMNS = frozenset(
    {"lat", "lon", "LAT", "LON", "EPSG:4326_lat", "EPSG:4326_lon", "EPSG:31370_x", "EPSG:31370_y"}
)


def _read(path: Path, encoding: str, sep: str) -> pd.DataFrame:
    """Read a register CSV as text, its coordinate columns as numbers when they all are.

    Parsing 5 M coordinates in the C reader takes a fraction of the time of making them text and
    converting that (all of Flanders: seconds of a cold load); a file with decimal commas or other
    text in a coordinate column is read as text, and `normalise_frame` converts it as before.
    """
    header = pd.read_csv(path, nrows=0, encoding=encoding, sep=sep).columns
    numeric = [c for c in header if isinstance(c, str) and c.strip() in COORDINATE_COLUMNS]
    if numeric and len(set(header)) == len(header):
        try:
            return pd.read_csv(
                path,
                dtype={c: (np.float64 if c in numeric else str) for c in header},
                keep_default_na=False,
                na_values={c: [""] for c in numeric},  # an empty position is NaN, as before
                encoding=encoding,
                sep=sep,
            )
        except ValueError:  # not a number somewhere (e.g. "50,87"): read all as text
            pass
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=sep)


def read_register_csv(path: Path) -> pd.DataFrame:
    """Read a register CSV (or .csv.gz); UTF-8, else Latin-1 (the 2013 CRAB files).

    Columns are text, but coordinate columns that hold only numbers come back as floats.
    """
    path = Path(path)
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return _read(path, encoding, _sniff_separator(path, encoding))
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise RegisterError(f"{path}: cannot read the address CSV ({exc})") from exc
    raise RegisterError(
        f"{path}: neither UTF-8 nor Latin-1"
    )  # pragma: no cover - latin-1 reads anything


def _number(frame: pd.DataFrame, column: str) -> FloatArray:
    if pd.api.types.is_float_dtype(frame[column]):  # already parsed by `read_register_csv`
        return frame[column].to_numpy(dtype=np.float64)
    values = pd.to_numeric(frame[column].str.replace(",", ".", regex=False), errors="coerce")
    return values.to_numpy(dtype=np.float64)


TEXT_COLUMNS = ("postcode", "street", "housenumber", "box")


def _stripped(column: pd.Series) -> pd.Series:
    """Return a text column with surrounding spaces stripped, as a categorical column.

    Each distinct value is stripped once: a register repeats a few thousand street names,
    numbers and postcodes over millions of rows, and the register is indexed from the codes.
    """
    if not (pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)):
        return column.str.strip()  # raises as ``.str`` does on numbers
    codes, uniques = pd.factorize(column)
    stripped = [u.strip() if isinstance(u, str) else np.nan for u in uniques]
    # Values equal once stripped (" 3" and "3") become one category; missing stays missing.
    merged, categories = pd.factorize(pd.Index(stripped, dtype=object))
    codes = np.append(merged, -1)[codes]
    return pd.Series(pd.Categorical.from_codes(codes, categories), index=column.index)


# From this many rows on, the text columns are stripped on several threads.
ROWS_FOR_THREADS = 100_000


def _text_frame(
    frame: pd.DataFrame, postcode: str, municipality: str, street: str, housenumber: str, box: str
) -> pd.DataFrame:
    """Return the register's text columns, read from `frame`'s columns of these names.

    Municipality and box may be missing (empty). All but the municipality are stripped, on
    several threads for a large register (pandas hashes strings partly without the GIL).
    """
    empty = pd.Series("", index=frame.index)
    columns = [frame[postcode], frame[street], frame[housenumber], frame.get(box, empty)]
    per_part = 1 if len(frame) >= ROWS_FOR_THREADS else len(columns)
    done = map_parts(lambda part: [_stripped(columns[i]) for i in part], len(columns), per_part)
    stripped = [column for part in done for column in part]
    return pd.DataFrame(
        {
            "postcode": stripped[0],
            "municipality": frame.get(municipality, empty),
            "street": stripped[1],
            "housenumber": stripped[2],
            "box": stripped[3],
        }
    )


def _codes(column: pd.Series) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Return each row's code and the distinct values (of a categorical: the ones in use)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(column)
        return codes, uniques.tolist()
    codes = column.cat.codes.to_numpy().astype(np.intp)
    categories = column.cat.categories
    used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    if not used.all():  # categories of rows left out (no street or no number)
        codes = np.where(codes >= 0, (np.cumsum(used) - 1)[codes], -1).astype(np.intp)
        categories = categories[used]
    return codes, categories.tolist()


def normalise_frame(frame: pd.DataFrame, source: str = "register") -> pd.DataFrame:
    """Return the register columns (postcode, municipality, street, housenumber, box, x, y, lon, lat).

    Accepts the CRAB-style and the BeST layout; raises RegisterError naming the missing columns.
    """
    out = _normalised(frame, source)
    for column in TEXT_COLUMNS:
        out[column] = out[column].astype(object)
    return out


def _normalised(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return what `normalise_frame` does, with categorical text columns (for indexing)."""
    cols = {c.strip(): c for c in frame.columns}
    frame = frame.rename(columns={v: k for k, v in cols.items()})
    if all(c in frame.columns for c in CRAB_2013_ALIASES):
        frame = frame.rename(columns=CRAB_2013_ALIASES)
    if all(c in frame.columns for c in BEST_COLUMNS):
        out = _text_frame(
            frame, "postcode", "municipality_name_nl", "streetname_nl", "house_number", "box_number"
        )
        if "EPSG:31370_x" in frame.columns and "EPSG:31370_y" in frame.columns:
            x, y = _number(frame, "EPSG:31370_x"), _number(frame, "EPSG:31370_y")
            lon, lat = lambert72_to_lonlat_arrays(x, y)
        elif "EPSG:4326_lat" in frame.columns and "EPSG:4326_lon" in frame.columns:
            lat, lon = _number(frame, "EPSG:4326_lat"), _number(frame, "EPSG:4326_lon")
            x, y = lonlat_to_lambert72_arrays(lon, lat)
        else:
            raise RegisterError(
                f"{source}: BeST layout needs EPSG:31370_x/_y or EPSG:4326_lat/_lon columns"
            )
    elif all(c in frame.columns for c in CRAB_COLUMNS):
        out = _text_frame(frame, "postcode", "municipality", "street", "housenumber", "box")
        lat, lon = _number(frame, "lat"), _number(frame, "lon")
        x, y = lonlat_to_lambert72_arrays(lon, lat)
    else:
        missing = [c for c in CRAB_COLUMNS if c not in frame.columns]
        raise RegisterError(
            f"{source}: not a known address layout; CRAB-style needs columns {', '.join(missing)} "
            f"(or BeST: {', '.join(BEST_COLUMNS)})"
        )
    out["x"], out["y"], out["lon"], out["lat"] = x, y, lon, lat
    out = out[(out["street"] != "") & (out["housenumber"] != "")]
    return out.reset_index(drop=True)


def _streets(frame: pd.DataFrame) -> tuple[npt.NDArray[np.int32], list[Street]]:
    """Return each row's street id and the streets, ordered by postcode, then name.

    A street is a (postcode, name) pair; the municipality is that of its first row. The pairs
    are found from the codes of the two columns (not from millions of joined strings).
    """
    names, name_values = _codes(frame["street"])
    postcodes, postcode_values = _codes(frame["postcode"])
    pair_codes, pairs = pd.factorize(postcodes.astype(np.int64) * len(name_values) + names)
    postcode_of, name_of = np.divmod(pairs, max(len(name_values), 1))
    postcode_of, name_of = postcode_of.tolist(), name_of.tolist()
    keys = [
        f"{postcode_values[p]}\x1f{name_values[n]}"
        for p, n in zip(postcode_of, name_of, strict=True)
    ]
    order = sorted(range(len(keys)), key=keys.__getitem__)  # what factorize(sort=True) gave
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    street_of = rank[pair_codes]
    municipality = frame["municipality"].groupby(street_of).first().tolist()
    streets = [
        Street(i, str(name_values[name_of[k]]), str(postcode_values[postcode_of[k]]), str(m))
        for i, (k, m) in enumerate(zip(order, municipality, strict=True))
    ]
    return street_of, streets


class AddressRegister:
    """All addresses of a dataset, indexed by street and house number; built once, then read-only.

    Addresses keep their input order (ids are row numbers). The index is an ordering of the ids by
    (street, house-number key) with the offset of each street in it, so a street is a slice and a
    house number a binary search in that slice: no per-address Python objects, which keeps loading
    all of Flanders (2.65 M addresses) to seconds.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        """Index a frame already in register columns (see `normalise_frame`)."""
        self.street_of, self.streets = _streets(frame)
        self.housenumbers: list[str] = frame["housenumber"].tolist()
        self.boxes: list[str] = frame["box"].tolist()
        self.x: FloatArray = frame["x"].to_numpy(dtype=np.float64)
        self.y: FloatArray = frame["y"].to_numpy(dtype=np.float64)
        self.lon: FloatArray = frame["lon"].to_numpy(dtype=np.float64)
        self.lat: FloatArray = frame["lat"].to_numpy(dtype=np.float64)
        self.positioned = ~np.isnan(self.x)
        # House numbers repeat (a few thousand distinct values for 2.65 M addresses): parse each once.
        hn_codes, hn_uniques = _codes(frame["housenumber"])
        unique_keys = [number_key(str(u)) for u in hn_uniques]
        parsed = [parse_register_number(str(u)) for u in hn_uniques]
        # Numeric part of each house number (-1 when there is none, e.g. "zn"): sides and neighbours.
        self.numbers = np.array([p.number if p else -1 for p in parsed], dtype=np.int64)[hn_codes]
        # Equal keys ("30A", "30a") must rank equal for the binary search.
        sorted_unique = sorted(set(unique_keys))
        self._rank_of = {k: i for i, k in enumerate(sorted_unique)}
        key_rank = np.array([self._rank_of[k] for k in unique_keys], dtype=np.int64)[hn_codes]
        # One sorted integer per address, street * R + number rank: a house number on a street is
        # a binary search, and on many streets at once one vectorised search (no per-address
        # Python strings, which also keeps the cached register small to load). A stable sort:
        # equal keys (duplicates) keep the input order.
        self._ranks = max(len(sorted_unique), 1)
        pairs = self.street_of.astype(np.int64) * self._ranks + key_rank
        order = np.argsort(pairs, kind="stable")
        self._order = order.astype(np.int64)
        self._sorted_pairs = pairs[order]
        self._street_start = np.searchsorted(
            self.street_of[order], np.arange(len(self.streets) + 1)
        )

    def _slice(self, street_id: int) -> tuple[int, int]:
        return int(self._street_start[street_id]), int(self._street_start[street_id + 1])

    @classmethod
    def from_frame(cls, raw: pd.DataFrame, source: str = "register") -> AddressRegister:
        """Build a register from a raw CRAB-style or BeST frame."""
        return cls(_normalised(raw, source))

    @classmethod
    def from_csv(cls, path: Path) -> AddressRegister:
        """Load a register CSV (CRAB-style or BeST), detected from its header."""
        if not Path(path).is_file():
            raise RegisterError(f"{path}: no such address file")
        return cls(_normalised(read_register_csv(Path(path)), source=str(path)))

    def __len__(self) -> int:
        return len(self.housenumbers)

    def __iter__(self) -> Iterator[Address]:
        return (self.address(i) for i in range(len(self)))

    def address(self, i: int) -> Address:
        """Return address number `i`."""
        positioned = bool(self.positioned[i])
        box = self.boxes[i]
        return Address(
            id=i,
            street=self.streets[int(self.street_of[i])],
            housenumber=self.housenumbers[i],
            box=box or None,
            xy=LambertXY(float(self.x[i]), float(self.y[i])) if positioned else None,
            lonlat=LonLat(float(self.lon[i]), float(self.lat[i])) if positioned else None,
        )

    def find(self, street_id: int, housenumber: str) -> list[int]:
        """Return the ids of the addresses with this house number on this street (duplicates kept)."""
        if not 0 <= street_id < len(self.streets):
            return []
        rank = self._rank_of.get(number_key(housenumber))
        if rank is None:
            return []
        # Within the street's slice: a few hundred entries at most, one small search.
        lo, hi = self._slice(street_id)
        target = street_id * self._ranks + rank
        i = lo + int(self._sorted_pairs[lo:hi].searchsorted(target))
        out = []
        while i < hi and self._sorted_pairs[i] == target:
            out.append(int(self._order[i]))
            i += 1
        return sorted(out)

    def find_many(self, street_ids: Sequence[int], housenumber: str) -> list[list[int]]:
        """Return, for each street, the ids of the addresses with this house number."""
        rank = self._rank_of.get(number_key(housenumber))
        if rank is None:  # no address anywhere has this number
            return [[] for _ in street_ids]
        wanted = np.asarray(street_ids, dtype=np.int64) * self._ranks + rank
        lo = np.searchsorted(self._sorted_pairs, wanted, side="left")
        hi = np.searchsorted(self._sorted_pairs, wanted, side="right")
        out: list[list[int]] = [[] for _ in range(len(wanted))]
        for i in np.flatnonzero(hi > lo).tolist():
            out[i] = sorted(self._order[lo[i] : hi[i]].tolist())
        return out

    def on_street(self, street_id: int) -> list[int]:
        """Return the ids of every address on a street."""
        return self.on_street_array(street_id).tolist()  # type: ignore[no-any-return]

    def on_street_array(self, street_id: int) -> npt.NDArray[np.int64]:
        """Return the ids of every address on a street as an array (ordered by house-number key)."""
        lo, hi = self._slice(street_id)
        return self._order[lo:hi]

    def street_bounds(self) -> npt.NDArray[np.float64]:
        """Return each street's box (xmin, ymin, xmax, ymax) of positioned addresses; NaN if none."""
        cached: npt.NDArray[np.float64] | None = self.__dict__.get("_street_bounds")
        if cached is None:
            x, y = self.x[self._order], self.y[self._order]
            starts = self._street_start[:-1]
            if len(x):
                cached = np.c_[
                    np.fmin.reduceat(x, starts),
                    np.fmin.reduceat(y, starts),
                    np.fmax.reduceat(x, starts),
                    np.fmax.reduceat(y, starts),
                ]
            else:
                cached = np.empty((0, 4))
            self.__dict__["_street_bounds"] = cached
        return cached

    def street_order(self) -> npt.NDArray[np.int64]:
        """Return every address id ordered by street, then house-number key (`on_street_array` order)."""
        return self._order

    def postcodes(self) -> set[str]:
        """Return the postcodes present in the register."""
        return {s.postcode for s in self.streets}

    def streets_in(self, postcodes: Iterable[str]) -> list[int]:
        """Return the ids of the streets in these postcodes."""
        wanted = set(postcodes)
        return [s.id for s in self.streets if s.postcode in wanted]
