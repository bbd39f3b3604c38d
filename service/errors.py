"""Domain errors mapped to HTTP in one place; every error body is ``{"code", "detail"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import CoordinateError, GeoError
from service.auth import AuthError, ForbiddenError, InvalidCredentialsError, TooManyAttemptsError
from service.privacy import redact_path
from service.ratelimit import PayloadTooLargeError, RateLimitedError
from service.registrations import (
    AddressError,
    AmbiguousAddressError,
    GroupFullError,
    NoGroupError,
    RegistrationError,
    RegistrationStateError,
    UnknownRegistrationError,
)
from service.routes.signup import PageError, page_error
from service.users import DuplicateUserError, UnknownUserError, UserError
from zones.errors import (
    DatasetError,
    LookupInputError,
    PointError,
    UnknownZoneError,
    ZoneError,
    ZoneFileError,
    ZoneValidationError,
)
from zones.generations import StaleGenerationError, UnknownGenerationError
from zones.proposals import (
    InvalidResultError,
    InvalidShapeError,
    ProposalError,
    ProposalStateError,
    StaleProposalError,
    UnknownProposalError,
)
from zones.rules import RulesMissingError

log = logging.getLogger("wabp")

# Most specific first: the first matching class decides.
STATUS: list[tuple[type[Exception], int, str]] = [
    (UnknownZoneError, 404, "unknown_zone"),
    (UnknownGenerationError, 404, "unknown_generation"),
    (StaleGenerationError, 409, "stale_generation"),
    (UnknownProposalError, 404, "unknown_proposal"),
    (ProposalStateError, 409, "proposal_decided"),
    (StaleProposalError, 409, "stale_proposal"),
    (InvalidShapeError, 422, "invalid_shape"),
    (InvalidResultError, 422, "invalid_zones"),
    (ProposalError, 422, "invalid_proposal"),
    (PointError, 422, "invalid_coordinates"),
    (LookupInputError, 422, "invalid_query"),
    (CoordinateError, 422, "invalid_coordinates"),
    (ZoneFileError, 422, "invalid_zone_file"),
    (ZoneValidationError, 422, "invalid_zones"),
    (RulesMissingError, 503, "registration_unavailable"),
    (DatasetError, 500, "dataset_error"),
    (ZoneError, 400, "zone_error"),
    (GeoError, 400, "geo_error"),
    (InvalidCredentialsError, 401, "invalid_credentials"),
    (AuthError, 401, "not_authenticated"),
    (ForbiddenError, 403, "forbidden"),
    (TooManyAttemptsError, 429, "too_many_attempts"),
    (DuplicateUserError, 409, "duplicate_user"),
    (UnknownUserError, 404, "unknown_user"),
    (UserError, 422, "invalid_user"),
    (UnknownRegistrationError, 404, "unknown_registration"),
    (AmbiguousAddressError, 422, "ambiguous_address"),
    (NoGroupError, 422, "no_group"),
    (AddressError, 422, "address_not_found"),
    (GroupFullError, 409, "group_full"),
    (RegistrationStateError, 409, "registration_state"),
    (RegistrationError, 422, "invalid_registration"),
    (RateLimitedError, 429, "too_many_requests"),
    (PayloadTooLargeError, 413, "body_too_large"),
]


def error_body(code: str, detail: object) -> dict[str, object]:
    """Return the JSON body of an error answer."""
    return {"code": code, "detail": detail}


def _detail(exc: Exception) -> object:
    if isinstance(exc, InvalidShapeError):
        # Offer the repaired shape: the coordinator confirms it rather than wabp fixing silently.
        return {"reason": exc.reason, "message": str(exc), "repaired": exc.repaired}
    if isinstance(exc, AmbiguousAddressError):
        return {"message": str(exc), "candidates": exc.candidates}
    if isinstance(exc, StaleProposalError):
        return {"message": str(exc), "report": exc.fresh.model_dump(mode="json")}
    return str(exc)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    for cls, status, code in STATUS:
        if isinstance(exc, cls):
            # AuthError carries WWW-Authenticate, TooManyAttemptsError Retry-After.
            headers = getattr(exc, "headers", None)
            return JSONResponse(error_body(code, _detail(exc)), status_code=status, headers=headers)
    raise exc  # pragma: no cover - registered only for the classes above


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
    ]  # never echo the input back: it may be a resident's address
    return JSONResponse(error_body("invalid_request", errors), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    return JSONResponse(
        error_body(codes.get(exc.status_code, "http_error"), exc.detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, redact_path(request.url.path))
    return JSONResponse(error_body("internal_error", "Er ging iets mis."), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping of domain errors to status codes on the app."""
    for cls, _, _ in STATUS:
        app.add_exception_handler(cls, _domain_error)
    app.add_exception_handler(PageError, page_error)  # the resident's HTML pages answer in HTML
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
