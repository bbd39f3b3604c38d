"""``/api/auth``: staff sign-in (OAuth2 password flow) and the signed-in user."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from service.auth import (
    CurrentUser,
    InvalidCredentialsError,
    LoginLimiterDep,
    SigningKeyDep,
    UserPublic,
    authenticate,
    create_access_token,
)
from service.db import SessionDep
from service.deps import SettingsDep
from service.ratelimit import client_key

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    """A bearer token for the ``Authorization`` header."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"


@router.post("/token", response_model=Token, responses={401: {}, 429: {}})
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    session: SessionDep,
    key: SigningKeyDep,
    limiter: LoginLimiterDep,
    settings: SettingsDep,
) -> Token:
    """Sign in with e-mail address (``username``) and password; return a bearer token."""
    client = client_key(request)
    limiter.check(session, form.username, client)
    try:
        user = authenticate(session, form.username, form.password)
    except InvalidCredentialsError:
        limiter.failed(session, form.username, client)
        session.commit()  # the failure counts, although the request fails
        raise
    limiter.succeeded(session, form.username, client)
    session.commit()  # the forgotten failures; a password hash upgraded by authenticate()
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens must not be cached
    return Token(access_token=create_access_token(user, key, settings.token_minutes))


@router.get("/me", response_model=UserPublic, responses={401: {}})
def me(user: CurrentUser) -> UserPublic:
    """Return the signed-in user."""
    return UserPublic.model_validate(user)
