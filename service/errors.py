"""Domain errors mapped to HTTP in one place; every error body is ``{"code", "detail"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import CoordinateError, GeoError
from maps.livesite import render_error
from service.admission import ServiceBusyError
from service.auth import AuthError, InvalidCredentialsError, TooManyAttemptsError
from service.privacy import log_failure, redact_path
from service.ratelimit import PayloadTooLargeError, RateLimitedError
from service.registrations import AmbiguousAddressError, RegistrationError
from service.routes.signup import PageError, page_error
from service.routes.staff import (
    SignInRequired,
    StaffPageError,
    error_page,
    is_staff_path,
    sign_in_required,
    staff_page_error,
)
from zones.errors import (
    ConflictError,
    DatasetError,
    DomainError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnavailableError,
    ZoneError,
)
from zones.proposals import InvalidShapeError, StaleProposalError

log = logging.getLogger("wabp")

# By meaning: a domain error derives from one of these and names its own `code`. Most specific
# first, so that an unknown registration (a registration error, hence also invalid) is a 404.
MEANINGS: list[tuple[type[DomainError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (UnavailableError, 503),
    (InvalidError, 422),
]

# Errors outside that hierarchy: sign-in, limits, and the catch-all bases of each layer.
STATUS: list[tuple[type[Exception], int, str]] = [
    (CoordinateError, 422, "invalid_coordinates"),
    (DatasetError, 500, "dataset_error"),
    (ZoneError, 400, "zone_error"),
    (GeoError, 400, "geo_error"),
    (InvalidCredentialsError, 401, "invalid_credentials"),
    (AuthError, 401, "not_authenticated"),
    (TooManyAttemptsError, 429, "too_many_attempts"),
    (RateLimitedError, 429, "too_many_requests"),
    (PayloadTooLargeError, 413, "body_too_large"),
]


def status_of(exc: Exception) -> tuple[int, str] | None:
    """Return the status and code of a domain error (None for another exception)."""
    if isinstance(exc, DomainError):
        for cls, status in MEANINGS:
            if isinstance(exc, cls):
                return status, exc.code
    for cls_, status, code in STATUS:
        if isinstance(exc, cls_):
            return status, code
    return None


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


def wants_html(request: Request) -> bool:
    """Tell whether an error should be a Dutch page: a browser asking for a page, not the API."""
    path = request.url.path
    accept = request.headers.get("accept", "")
    return not path.startswith(("/api/", "/docs", "/openapi")) and "text/html" in accept


def _html_error(request: Request, status: int, headers: dict[str, str] | None) -> HTMLResponse:
    state = getattr(request.app.state, "wabp", None)
    if state is not None:
        html = state.current.site.error_page(status)
    else:  # before start-up finished: no dataset, so no menu
        html = render_error(status, "", None)
    return HTMLResponse(html, status_code=status, headers=headers)


# Staff pages show the domain's own message only where it is written in Dutch for people.
STAFF_GENERIC = {
    409: "Dit is intussen gewijzigd of al beslist. Laad de pagina opnieuw.",
    422: "Dit kan zo niet worden aanvaard.",
}


def _staff_message(exc: Exception, status: int) -> str | None:
    if isinstance(exc, (RegistrationError, ServiceBusyError)) and status in (409, 422, 503):
        return str(exc)
    return STAFF_GENERIC.get(status)


def _staff_error(request: Request, exc: Exception) -> Response | None:
    # The staff pages (/beheer) answer every error with their own Dutch page, whatever the Accept.
    if not is_staff_path(request.url.path):
        return None
    found = status_of(exc)
    status = found[0] if found else 500
    response = error_page(request, status, _staff_message(exc, status))
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


async def _domain_error(request: Request, exc: Exception) -> Response:
    staff = _staff_error(request, exc)
    if staff is not None:
        return staff
    if isinstance(exc, ServiceBusyError) and "text/html" in request.headers.get("accept", ""):
        # A resident's browser (the form, the private pages) gets the Dutch error page.
        return await page_error(request, PageError(503, str(exc), exc.headers))
    found = status_of(exc)
    if found is None:  # pragma: no cover - registered only for the classes above
        raise exc
    status, code = found
    # AuthError carries WWW-Authenticate, TooManyAttemptsError Retry-After. A 429 reaches only the
    # API here (the form and /beheer count attempts and answer with their own Dutch pages).
    headers = getattr(exc, "headers", None)
    if status == 404 and wants_html(request):
        return _html_error(request, status, headers)
    return JSONResponse(error_body(code, _detail(exc)), status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_staff_path(request.url.path):  # a path or form value out of bounds: nothing to show
        return error_page(request, 404 if _in_path(exc) else 422)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
    ]  # never echo the input back: it may be a resident's address
    return JSONResponse(error_body("invalid_request", errors), status_code=422)


def _in_path(exc: RequestValidationError) -> bool:
    return any(e.get("loc", ("",))[0] == "path" for e in exc.errors())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_staff_path(request.url.path):
        return error_page(request, exc.status_code)
    if exc.status_code == 404 and wants_html(request):
        return _html_error(request, 404, getattr(exc, "headers", None))
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    return JSONResponse(
        error_body(codes.get(exc.status_code, "http_error"), exc.detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _database_busy(request: Request, exc: Exception) -> Response:
    # A lock or pool time-out, or a lost connection: the transaction was rolled back, nothing was
    # stored, and trying again shortly is the right thing to do. The message of these errors can
    # hold the statement's parameters (personal data): only the class is logged.
    cause = getattr(exc, "orig", None) or exc
    path = redact_path(request.url.path)
    log.warning("database busy on %s %s: %s", request.method, path, type(cause).__name__)
    return await _domain_error(request, ServiceBusyError())


async def _unexpected(request: Request, exc: Exception) -> Response:
    log_failure(log, "unexpected error on %s %s", request.method, redact_path(request.url.path))
    if is_staff_path(request.url.path):
        return error_page(request, 500)
    if wants_html(request):
        return _html_error(request, 500, None)
    return JSONResponse(error_body("internal_error", "Er ging iets mis."), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping of domain errors to status codes on the app."""
    app.add_exception_handler(DomainError, _domain_error)
    for cls, _, _ in STATUS:
        app.add_exception_handler(cls, _domain_error)
    app.add_exception_handler(PageError, page_error)  # the resident's HTML pages answer in HTML
    app.add_exception_handler(StaffPageError, staff_page_error)  # and so do the staff pages
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeoutError, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
