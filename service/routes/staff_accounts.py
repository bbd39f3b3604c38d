"""The municipality's accounts page: list, add, disable or enable, new password; new-group coordinators.

A new account, or a new password, gets a random password that the page shows once: the municipality
passes it on and the owner changes it on ``/beheer/wachtwoord``. Or, by e-mail: an invitation with
a link to choose one's own password, and a reset link (``service.account_links``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from service import accounts
from service.auth import SigningKeyDep
from service.db import SessionDep
from service.deps import DatasetDep
from service.routes.staff import (
    PREFIX,
    MunicipalityStaff,
    StaffForm,
    done,
    field,
    own_municipality,
    staff_page,
    zone_name,
)
from service.tables import User
from zones.dataset import Dataset

router = APIRouter(include_in_schema=False)

ACCOUNTS = f"{PREFIX}/gemeente/accounts"
ROLE_LABELS = {"police": "politie", "municipality": "gemeente", "coordinator": "coördinator"}
AccountId = Annotated[str, Path(max_length=32)]
RegistrationId = Annotated[str, Path(max_length=64)]


def _accounts_page(
    request: Request,
    key: bytes,
    user: User,
    session: SessionDep,
    dataset: Dataset,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    new_group_errors: dict[str, dict[str, str]] | None = None,
    made: accounts.NewPassword | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    municipality = own_municipality(user, dataset)
    context = {
        "title": "Accounts",
        "heading": f"Accounts van {municipality}",
        "accounts": accounts.accounts_of(session, dataset, municipality),
        "zone_police": accounts.police_zone_accounts(session, dataset, municipality),
        "zones": accounts.municipality_zones(dataset, municipality),
        "applicants": accounts.new_group_coordinators(session, municipality),
        "roles": ROLE_LABELS,
        "zone_name": lambda zone_id: zone_name(dataset, zone_id),
        "values": values or {},
        "errors": errors or {},
        "new_group_errors": new_group_errors or {},
        "made": made,
    }
    return staff_page(
        request, "beheer/accounts.html", context, user=user, key=key, status_code=status_code
    )


@router.get(ACCOUNTS, response_class=HTMLResponse)
def account_list(
    request: Request,
    user: MunicipalityStaff,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> HTMLResponse:
    """List the municipality's accounts, with the form to add one."""
    return _accounts_page(request, key, user, session, dataset)


@router.post(ACCOUNTS, response_class=HTMLResponse)
def add_account(
    request: Request,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Add an account (coordinator of a zone, police, municipality); show its first password once."""
    values = {name: field(form, name, 254) for name in ("email", "role", "zone")}
    by_mail = field(form, "toegang", 20) == "uitnodiging"
    try:
        if by_mail:
            accounts.invite_account(
                session,
                dataset,
                own_municipality(user, dataset),
                user,
                email=values["email"],
                role=values["role"],
                zone_id=values["zone"] or None,
            )
            session.commit()
            return done(ACCOUNTS, "uitgenodigd")
        made = accounts.add_account(
            session,
            dataset,
            own_municipality(user, dataset),
            user,
            email=values["email"],
            role=values["role"],
            zone_id=values["zone"] or None,
        )
    except accounts.AccountError as exc:
        session.rollback()
        errors = {exc.field: str(exc)}
        return _accounts_page(
            request, key, user, session, dataset, values=values, errors=errors, status_code=422
        )
    session.commit()
    return _accounts_page(request, key, user, session, dataset, made=made, status_code=201)


@router.post(f"{ACCOUNTS}/{{account_id}}/uitschakelen")
def disable_account(
    account_id: AccountId,
    user: MunicipalityStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Disable an account: it can no longer sign in, and its sessions end now."""
    accounts.set_account_active(
        session, dataset, own_municipality(user, dataset), user, account_id, False
    )
    session.commit()
    return done(ACCOUNTS, "uitgeschakeld")


@router.post(f"{ACCOUNTS}/{{account_id}}/inschakelen")
def enable_account(
    account_id: AccountId,
    user: MunicipalityStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Enable a disabled account again."""
    accounts.set_account_active(
        session, dataset, own_municipality(user, dataset), user, account_id, True
    )
    session.commit()
    return done(ACCOUNTS, "ingeschakeld")


@router.post(f"{ACCOUNTS}/{{account_id}}/wachtwoord", response_class=HTMLResponse)
def reset_password(
    request: Request,
    account_id: AccountId,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> HTMLResponse:
    """Give an account a new password (shown once); its sessions end."""
    made = accounts.reset_password(
        session, dataset, own_municipality(user, dataset), user, account_id
    )
    session.commit()
    return _accounts_page(request, key, user, session, dataset, made=made)


@router.post(f"{ACCOUNTS}/{{account_id}}/resetlink")
def mail_reset_link(
    account_id: AccountId,
    user: MunicipalityStaff,
    form: StaffForm,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Mail an account a link to choose a new password (at most one in five minutes)."""
    sent = accounts.mail_reset_link(
        session, dataset, own_municipality(user, dataset), user, account_id
    )
    session.commit()
    return done(ACCOUNTS, "resetlink" if sent else "resetlink-wacht")


@router.post(f"{ACCOUNTS}/nieuwe-groep/{{registration_id}}", response_class=HTMLResponse)
def new_group_coordinator(
    request: Request,
    registration_id: RegistrationId,
    user: MunicipalityStaff,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    dataset: DatasetDep,
) -> Response:
    """Give an approved new-group applicant the coordinator account of their zone."""
    try:
        made = accounts.coordinator_for_application(
            session,
            dataset,
            own_municipality(user, dataset),
            user,
            registration_id=registration_id,
            zone_id=field(form, "zone", 64),
            email=field(form, "email", 254),
        )
    except accounts.AccountError as exc:
        session.rollback()
        errors = {registration_id: {exc.field: str(exc)}}
        return _accounts_page(
            request, key, user, session, dataset, new_group_errors=errors, status_code=422
        )
    session.commit()
    return _accounts_page(request, key, user, session, dataset, made=made, status_code=201)
