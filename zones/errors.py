"""Errors raised by the zones layer; `service.errors` maps them to HTTP statuses by meaning.

Every domain error (here, in `service/` too) also derives from one base class that says what kind of
"no" it is; the HTTP mapping knows those few classes, and each error names its own stable ``code``::

    DomainError
     ├── NotFoundError      the thing asked for does not exist (or the caller may not see it)
     ├── ConflictError      it exists, but its state does not allow this now (decided, stale, full)
     ├── InvalidError       what was sent cannot be used; the message says what to fix
     ├── ForbiddenError     the caller may not do this
     └── UnavailableError   the service cannot do this now (configuration missing)

ZoneError
 ├── ZoneFileError          a zone file that cannot be read: names the file, feature and field
 ├── DatasetError           a dataset directory that is incomplete or inconsistent
 ├── ZoneValidationError    a zone set that fails validation (carries the problems)
 ├── UnknownZoneError       a zone id that does not exist
 └── LookupInputError       a lookup query that cannot be understood (empty, too long)
      └── PointError         coordinates that are not a WGS84 point in Belgium
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from zones.validate import Problem


class DomainError(Exception):
    """Base class of the errors whose meaning decides the answer; `code` names the case."""

    code: ClassVar[str] = "error"


class NotFoundError(DomainError):
    """Something that does not exist, or that the caller may not know of."""

    code = "not_found"


class ConflictError(DomainError):
    """Something whose current state does not allow the action."""

    code = "conflict"


class InvalidError(DomainError):
    """Input that cannot be used as it is."""

    code = "invalid"


class ForbiddenError(DomainError):
    """An action the caller's role or scope does not allow."""

    code = "forbidden"


class UnavailableError(DomainError):
    """An action the service cannot perform now (a part of the dataset is missing)."""

    code = "unavailable"


class ZoneError(Exception):
    """Base class of every error raised in `zones`."""


class ZoneFileError(ZoneError, InvalidError):
    """A zone (or infobord) file that cannot be read; the message names the feature and field."""

    code = "invalid_zone_file"


class DatasetError(ZoneError):
    """A dataset directory that is missing a file or holds inconsistent data."""


class ZoneValidationError(ZoneError, InvalidError):
    """A zone set that fails validation."""

    code = "invalid_zones"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class UnknownZoneError(ZoneError, NotFoundError, KeyError):
    """A zone id that is not in the zone set."""

    code = "unknown_zone"

    def __str__(self) -> str:
        return f"unknown zone id: {self.args[0]!r}"


class LookupInputError(ZoneError, InvalidError, ValueError):
    """A lookup query that cannot be used (empty, too long, coordinates outside Belgium)."""

    code = "invalid_query"


class PointError(LookupInputError):
    """Coordinates that are not a WGS84 point in Belgium (swapped, projected, outside, NaN)."""

    code = "invalid_coordinates"
