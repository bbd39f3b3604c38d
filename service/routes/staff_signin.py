"""Signing in and out of the staff pages (``/beheer``), and changing one's own password.

The form checks e-mail and password like ``POST /api/auth/token`` (the same ``authenticate`` and the
same ``LoginLimiter``, so the lock-out rules are the API's), then opens a server-side session
(``service.sessions``) whose cookie is HttpOnly, ``SameSite=Strict``, limited to ``/beheer`` and
``Secure`` under https. Each role then lands on its own start page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth import (
    InvalidCredentialsError,
    LoginLimiterDep,
    SigningKeyDep,
    TooManyAttemptsError,
    authenticate,
)
from service.db import SessionDep
from service.deps import SettingsDep
from service.ratelimit import client_key
from service.routes.signup import SECURITY_HEADERS
from service.routes.staff import (
    PREFIX,
    START,
    SignedIn,
    StaffForm,
    done,
    field,
    optional_staff_user,
    safe_next,
    staff_page,
)
from service.sessions import COOKIE, COOKIE_PATH, end_session, start_session
from service.tables import User
from service.users import MIN_PASSWORD, PasswordError, change_own_password

router = APIRouter(include_in_schema=False)

WRONG = "Het e-mailadres of het wachtwoord klopt niet."


def _sign_in_page(
    request: Request,
    key: bytes,
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    next_path: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "Inloggen",
        "heading": "Inloggen voor medewerkers",
        "values": {"email": email},
        "errors": errors or {},
        "next_path": next_path,
    }
    return staff_page(
        request, "beheer/inloggen.html", context, user=None, key=key, status_code=status_code
    )


def _set_session_cookie(response: Response, request: Request, token: str, hours: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=hours * 3600,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


@router.get(PREFIX, response_class=HTMLResponse)
def sign_in_form(
    request: Request,
    key: SigningKeyDep,
    session: SessionDep,
    volgende: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """Show the sign-in form, or send someone already signed in to their start page."""
    user = optional_staff_user(request, session)
    if user is not None:
        return RedirectResponse(safe_next(volgende) or START[user.role], status_code=303)
    return _sign_in_page(request, key, next_path=safe_next(volgende))


@router.post(f"{PREFIX}/inloggen", response_class=HTMLResponse)
def sign_in(
    request: Request,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    limiter: LoginLimiterDep,
    settings: SettingsDep,
) -> Response:
    """Sign in with e-mail address and password; go to the page asked for, or the role's start."""
    email, password = field(form, "email", 254), field(form, "password", 1024)
    next_path = safe_next(field(form, "volgende", 300))
    if not email or not password:
        errors = {}
        if not email:
            errors["email"] = "Vul uw e-mailadres in."
        if not password:
            errors["password"] = "Vul uw wachtwoord in."
        return _sign_in_page(
            request, key, email=email, errors=errors, next_path=next_path, status_code=422
        )
    client = client_key(request)
    try:
        limiter.check(session, email, client)
        user = authenticate(session, email, password)
    except TooManyAttemptsError as exc:
        minutes = int(exc.headers["Retry-After"]) // 60 + 1
        message = f"Te veel mislukte pogingen. Probeer het over {minutes} minuten opnieuw."
        response = _sign_in_page(
            request,
            key,
            email=email,
            errors={"email": message},
            next_path=next_path,
            status_code=429,
        )
        response.headers.update(exc.headers)
        return response
    except InvalidCredentialsError:
        limiter.failed(session, email, client)
        session.commit()  # the failure counts, although the sign-in fails
        return _sign_in_page(
            request,
            key,
            email=email,
            errors={"password": WRONG},
            next_path=next_path,
            status_code=401,
        )
    limiter.succeeded(session, email, client)
    token = start_session(session, user, settings.session_hours)
    session.commit()
    landing = RedirectResponse(
        next_path or START[user.role], status_code=303, headers=SECURITY_HEADERS
    )
    _set_session_cookie(landing, request, token, settings.session_hours)
    return landing


@router.post(f"{PREFIX}/afmelden")
def sign_out(request: Request, form: StaffForm, session: SessionDep) -> Response:
    """End this browser's session ("Afmelden")."""
    end_session(session, request.cookies.get(COOKIE))
    session.commit()
    response = done(PREFIX, "afgemeld")
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


def _password_page(
    request: Request,
    key: bytes,
    user: User,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "Wachtwoord wijzigen",
        "heading": "Wachtwoord wijzigen",
        "errors": errors or {},
        "min_length": MIN_PASSWORD,
    }
    return staff_page(
        request, "beheer/wachtwoord.html", context, user=user, key=key, status_code=status_code
    )


@router.get(f"{PREFIX}/wachtwoord", response_class=HTMLResponse)
def password_form(request: Request, user: SignedIn, key: SigningKeyDep) -> HTMLResponse:
    """Show the form to change one's own password."""
    return _password_page(request, key, user)


@router.post(f"{PREFIX}/wachtwoord", response_class=HTMLResponse)
def change_password(
    request: Request,
    user: SignedIn,
    form: StaffForm,
    key: SigningKeyDep,
    session: SessionDep,
    limiter: LoginLimiterDep,
    settings: SettingsDep,
) -> Response:
    """Change one's own password; every session of the account ends, this one starts anew."""
    current, new = field(form, "current", 1024), field(form, "new", 1024)
    if new != field(form, "repeat", 1024):
        errors = {"repeat": "De twee nieuwe wachtwoorden zijn niet gelijk."}
        return _password_page(request, key, user, errors, 422)
    client = client_key(request)
    try:
        # Guessing the current password here counts as guessing it at the sign-in form.
        limiter.check(session, user.email, client)
        change_own_password(session, user, current, new)
    except TooManyAttemptsError as exc:
        errors = {"current": "Te veel mislukte pogingen. Probeer het later opnieuw."}
        response = _password_page(request, key, user, errors, 429)
        response.headers.update(exc.headers)
        return response
    except InvalidCredentialsError:
        limiter.failed(session, user.email, client)
        session.commit()  # the failure counts, although the change fails
        return _password_page(request, key, user, {"current": "Dit wachtwoord klopt niet."}, 401)
    except PasswordError:
        errors = {"new": f"Kies een wachtwoord van minstens {MIN_PASSWORD} tekens."}
        return _password_page(request, key, user, errors, 422)
    token = start_session(session, user, settings.session_hours)
    session.commit()
    landing = done(START[user.role], "wachtwoord")
    _set_session_cookie(landing, request, token, settings.session_hours)
    return landing
