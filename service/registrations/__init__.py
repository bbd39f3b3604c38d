"""Registrations: residents apply, the police vet, coordinators add; personal data kept lean.

Plain domain code (no HTTP): the JSON API (``service.routes.registrations``) and the HTML pages
call it. Every change and every staff read writes an audit event that names ids, never a person.

| module | holds |
|---|---|
| ``input`` | ``RegistrationIn``: what a resident submits, name and phone checks |
| ``applicant`` | submitting, and the private link: status, export, withdrawal |
| ``vetting`` | police and municipality: listing, approving, refusing, assigning a group |
| ``handoff`` | coordinators: members, added and removed, the member cap |
| ``status`` | the allowed status changes and what the applicant reads for each status |
| ``events`` | the audit log |
| ``retention`` | erasure and ``wabp purge`` |
| ``errors`` | the error hierarchy (``service.errors`` maps it to status codes) |
"""

from __future__ import annotations

from service.registrations.applicant import (
    TOKEN_BYTES,
    Submitted,
    by_token,
    export_data,
    full_address,
    rules_for_address,
    submit,
    token_hash,
    withdraw,
)
from service.registrations.errors import (
    AddressError,
    AddressNotFoundError,
    AmbiguousAddressError,
    GroupFullError,
    NoGroupError,
    RegistrationError,
    RegistrationStateError,
    UnknownRegistrationError,
)
from service.registrations.events import audit, audit_log
from service.registrations.handoff import (
    Roster,
    group_fill,
    mark_added,
    mark_removed,
    members,
    roster,
)
from service.registrations.input import (
    MAX_ADDRESS,
    MAX_NAME,
    MAX_PHONE,
    Name,
    RegistrationIn,
    normalize_phone,
)
from service.registrations.retention import PurgeReport, erase, purge
from service.registrations.status import (
    ACTIVE_STATUSES,
    MEMBER_STATUSES,
    NEW_GROUP_APPROVED,
    STATUS_MESSAGES,
    status_message,
)
from service.registrations.vetting import (
    Vetting,
    approve,
    assign_group,
    duplicates,
    get_for_staff,
    list_for_staff,
    refuse,
    vetting_list,
)

__all__ = [
    "ACTIVE_STATUSES",
    "MAX_ADDRESS",
    "MAX_NAME",
    "MAX_PHONE",
    "MEMBER_STATUSES",
    "NEW_GROUP_APPROVED",
    "STATUS_MESSAGES",
    "TOKEN_BYTES",
    "AddressError",
    "AddressNotFoundError",
    "AmbiguousAddressError",
    "GroupFullError",
    "Name",
    "NoGroupError",
    "PurgeReport",
    "RegistrationError",
    "RegistrationIn",
    "RegistrationStateError",
    "Roster",
    "Submitted",
    "UnknownRegistrationError",
    "Vetting",
    "approve",
    "assign_group",
    "audit",
    "audit_log",
    "by_token",
    "duplicates",
    "erase",
    "export_data",
    "full_address",
    "rules_for_address",
    "get_for_staff",
    "group_fill",
    "list_for_staff",
    "mark_added",
    "mark_removed",
    "members",
    "normalize_phone",
    "purge",
    "refuse",
    "roster",
    "status_message",
    "submit",
    "token_hash",
    "vetting_list",
    "withdraw",
]
