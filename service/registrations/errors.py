"""Registration errors (no HTTP here: ``service.errors`` maps them to status codes).

::

    RegistrationError              422 a registration that cannot be made or changed
     ├── AddressError               422 the address decides the group, and this one cannot
     │    ├── AddressNotFoundError   the register does not know it
     │    ├── AmbiguousAddressError  several addresses fit (carries the candidates)
     │    └── NoGroupError           in no zone: only a coordinator of a new group may apply
     ├── UnknownRegistrationError   404 no such registration (or not one the caller may see)
     ├── RegistrationStateError     409 not possible in the current status
     └── GroupFullError             409 the group reached the member cap
"""

from __future__ import annotations

from zones.errors import ConflictError, InvalidError, NotFoundError


class RegistrationError(InvalidError):
    """A registration that cannot be made or changed; the message (Dutch) says what to do."""

    code = "invalid_registration"


class AddressError(RegistrationError):
    """The address cannot decide a group."""

    code = "address_not_found"


class AddressNotFoundError(AddressError):
    """The register does not know the address."""


class AmbiguousAddressError(AddressError):
    """Several register addresses fit what was typed; the applicant picks one."""

    code = "ambiguous_address"

    def __init__(self, message: str, candidates: list[str]) -> None:
        self.candidates = candidates
        super().__init__(message)


class NoGroupError(AddressError):
    """The address is in no zone, and only a coordinator of a new group may apply there."""

    code = "no_group"


class UnknownRegistrationError(RegistrationError, NotFoundError, KeyError):
    """No registration with this id or token, or one the caller may not see."""

    code = "unknown_registration"

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "onbekende aanmelding"


class RegistrationStateError(RegistrationError, ConflictError):
    """The action does not fit the registration's status."""

    code = "registration_state"


class GroupFullError(RegistrationError, ConflictError):
    """The group already has as many members as a WhatsApp group can hold."""

    code = "group_full"
