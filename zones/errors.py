"""Errors raised by the zones layer; `service.errors` maps each to an HTTP status in one table.

ZoneError
 ├── ZoneFileError          a zone file that cannot be read: names the file, feature and field
 ├── DatasetError           a dataset directory that is incomplete or inconsistent
 ├── ZoneValidationError    a zone set that fails validation (carries the problems)
 ├── UnknownZoneError       a zone id that does not exist
 └── LookupInputError       a lookup query that cannot be understood (empty, too long)
      └── PointError         coordinates that are not a WGS84 point in Belgium
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zones.validate import Problem


class ZoneError(Exception):
    """Base class of every error raised in `zones`."""


class ZoneFileError(ZoneError):
    """A zone (or infobord) file that cannot be read; the message names the feature and field."""


class DatasetError(ZoneError):
    """A dataset directory that is missing a file or holds inconsistent data."""


class ZoneValidationError(ZoneError):
    """A zone set that fails validation."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class UnknownZoneError(ZoneError, KeyError):
    """A zone id that is not in the zone set."""

    def __str__(self) -> str:
        return f"unknown zone id: {self.args[0]!r}"


class LookupInputError(ZoneError, ValueError):
    """A lookup query that cannot be used (empty, too long, coordinates outside Belgium)."""


class PointError(LookupInputError):
    """Coordinates that are not a WGS84 point in Belgium (swapped, projected, outside, NaN)."""
