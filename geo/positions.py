"""House numbers on a known street: typed numbers to register ids, and positions with a precision.

Which addresses a typed number means on a street (bisnummers included), the neighbours of a number
the register lacks, and a position for any of them (the register's, interpolated between neighbours
on the same side, or the street's centre), each with how precise it is. `geo.geocoder` finds the
street first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from geo.crs import LambertXY, LonLat, to_wgs84
from geo.housenumber import parse_register_number
from geo.parse import ParsedAddress
from geo.register import AddressRegister

GeoPrecision = Literal["address", "interpolated", "street"]


@dataclass(frozen=True)
class Position:
    """A WGS84 position (None when the street has no positioned address) and how it was found."""

    lonlat: LonLat | None
    precision: GeoPrecision


class Positions:
    """Resolve house numbers and positions against one address register (built once, shared)."""

    def __init__(self, register: AddressRegister) -> None:
        self.register = register
        # A street's centre is asked for again and again (candidates, whole streets): keep it.
        self._centres: dict[int, LonLat | None] = {}

    def find(self, sids: list[int], parsed: ParsedAddress) -> list[tuple[list[int], str | None]]:
        """Return, per street, the register ids of the typed number and the box left over.

        CRAB writes a bisnummer as ``80_2``; residents type ``80/2``, ``80_2`` or ``80 bus 2``, which
        the parser reads as number 80, box 2. When the street has ``80_2``, that is the address
        (never 80 with box 2: a different house). Some CRAB numbers end in a bare ``_``.
        """
        reg = self.register
        number = parsed.housenumber
        if number is None:
            return [([], parsed.box)] * len(sids)
        if len(sids) == 1:  # the common case: one street, no array round trip
            sid = sids[0]
            if parsed.box and (ids := reg.find(sid, f"{number}_{parsed.box}")):
                return [(ids, None)]
            return [(reg.find(sid, number) or reg.find(sid, number + "_"), parsed.box)]
        plain = reg.find_many(sids, number)
        bare = reg.find_many(sids, number + "_")
        sub = reg.find_many(sids, f"{number}_{parsed.box}") if parsed.box else plain
        return [
            (s, None) if parsed.box and s else (p or b, parsed.box)
            for p, b, s in zip(plain, bare, sub, strict=True)
        ]

    def neighbours(self, sid: int, housenumber: str) -> tuple[int | None, int | None]:
        """Return the nearest lower and higher numbers on the same side of the street."""
        typed = parse_register_number(housenumber)
        if typed is None:
            return None, None
        reg = self.register
        ids = reg.on_street_array(sid)
        nums = reg.numbers[ids]
        side = (nums >= 0) & (nums % 2 == typed.number % 2)
        lower_mask = side & (nums < typed.number)
        higher_mask = side & (nums > typed.number)
        lower = int(ids[lower_mask][np.argmax(nums[lower_mask])]) if lower_mask.any() else None
        higher = int(ids[higher_mask][np.argmin(nums[higher_mask])]) if higher_mask.any() else None
        return lower, higher

    def position(self, a: int) -> Position:
        """Return the position of register address `a` (estimated when the register has none)."""
        reg = self.register
        if reg.positioned[a]:
            return Position(LonLat(float(reg.lon[a]), float(reg.lat[a])), "address")
        return self.estimate(int(reg.street_of[a]), reg.housenumbers[a])

    def estimate(self, sid: int, housenumber: str) -> Position:
        """Interpolate a position between positioned neighbours on the same side, else the street's centre."""
        reg = self.register
        typed = parse_register_number(housenumber)
        ids = reg.on_street_array(sid)
        ids = ids[reg.positioned[ids] & (reg.numbers[ids] >= 0)]
        if typed is not None and len(ids):
            nums = reg.numbers[ids]
            same_side = nums % 2 == typed.number % 2
            if same_side.any():
                ids, nums = ids[same_side], nums[same_side]
            below, above = nums <= typed.number, nums >= typed.number
            lo = int(ids[below][np.argmax(nums[below])]) if below.any() else None
            hi = int(ids[above][np.argmin(nums[above])]) if above.any() else None
            if lo is not None and hi is not None and reg.numbers[hi] != reg.numbers[lo]:
                t = (typed.number - reg.numbers[lo]) / (reg.numbers[hi] - reg.numbers[lo])
                x = reg.x[lo] + t * (reg.x[hi] - reg.x[lo])
                y = reg.y[lo] + t * (reg.y[hi] - reg.y[lo])
                return Position(to_wgs84(LambertXY(float(x), float(y))), "interpolated")
            nearest = lo if lo is not None else hi
            if nearest is not None:
                lonlat = LonLat(float(reg.lon[nearest]), float(reg.lat[nearest]))
                return Position(lonlat, "interpolated")
        return Position(self.street_centre(sid), "street")

    def street_centre(self, sid: int) -> LonLat | None:
        """Return the street's positioned address nearest the mean of its addresses (None: none)."""
        if sid not in self._centres:
            self._centres[sid] = self._street_centre(sid)
        return self._centres[sid]

    def _street_centre(self, sid: int) -> LonLat | None:
        reg = self.register
        ids = reg.on_street_array(sid)
        ids = ids[reg.positioned[ids]]
        if not len(ids):
            return None
        # The address nearest the mean: a real point on the street, not a spot between two arms of it.
        dx, dy = reg.x[ids] - reg.x[ids].mean(), reg.y[ids] - reg.y[ids].mean()
        a = int(ids[np.argmin(dx * dx + dy * dy)])
        return LonLat(float(reg.lon[a]), float(reg.lat[a]))
