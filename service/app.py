"""The application factory: ``create_app(settings)``; heavy state is built once in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from maps.assets import STATIC_DIR
from maps.tiles import tiles_from_setting
from service import mail
from service.admission import Admission
from service.auth import LoginLimiter, load_signing_key
from service.db import database_url, make_engine, make_sessionmaker, postgres_dsn, upgrade
from service.errors import install_error_handlers
from service.generations import ZoneGenerations
from service.headers import SecurityHeaders
from service.hosts import OriginCheck, allowed_hosts
from service.privacy import BodySizeLimit, install_log_filter
from service.published import PublishedTexts
from service.routes import (
    applicant_pages,
    coverage,
    generations,
    lookup,
    pages,
    password_pages,
    proposal_pages,
    proposals,
    signup,
    staff_accounts,
    staff_coordinator,
    staff_mail,
    staff_municipality,
    staff_police,
    staff_publication,
    staff_signin,
    zones,
)
from service.routes import auth as auth_routes
from service.routes import registrations as registration_routes
from service.settings import Settings
from service.state import Follower, ServiceState
from zones.dataset import Dataset


def create_app(settings: Settings) -> FastAPI:
    """Create the wabp app for one dataset; nothing is loaded until the lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The same base layer `wabp publish` uses; a bad setting stops start-up, not a request.
        tiles = tiles_from_setting(settings.tiles, settings.tiles_attribution)
        # Migrate before serving: a request never meets an older schema than the code expects.
        url = database_url(settings)
        engine = make_engine(url, pool_size=settings.db_pool_size, wait=settings.db_wait_seconds)
        upgrade(engine)
        app.state.admission = Admission(
            settings.db_pool_size, settings.db_queue, settings.db_wait_seconds
        )
        factory = make_sessionmaker(engine, info=mail.session_info(settings))
        app.state.sessionmaker = factory
        # The database decides the zones: files are imported once, then exported from it.
        reader = make_engine(url, reads_only=True)
        generations = ZoneGenerations(factory, settings.data_dir, make_sessionmaker(reader))
        generation = generations.reconcile()
        # The contact and infoborden staff published, written to the files the dataset loads.
        texts = PublishedTexts(factory, settings.data_dir, make_sessionmaker(reader))
        versions = texts.write_files({})
        dataset = Dataset.load(settings.data_dir)
        app.state.wabp = ServiceState(
            dataset, generations, generation, tiles=tiles, texts=texts, versions=versions
        )
        app.state.signing_key = load_signing_key(settings)
        app.state.login_limiter = LoginLimiter.from_settings(settings, app.state.signing_key)
        follower = Follower(
            app.state.wabp, settings.generation_poll_seconds, listen_url=postgres_dsn(url)
        )
        follower.start()
        # Mail goes out in the background; without an SMTP server it waits in the outbox.
        smtp = mail.SmtpConfig.from_settings(settings)
        sender = task = None
        if smtp is not None:
            policy = mail.Policy.from_settings(settings)
            sender = mail.BackgroundSender(factory, smtp, policy, settings.mail_poll_seconds)
            mail.wake_on_commit(factory, sender.wake)
            task = asyncio.create_task(sender.run())
        yield
        if sender is not None and task is not None:
            await sender.stop(task)
        follower.stop()
        reader.dispose()
        engine.dispose()

    install_log_filter()
    app = FastAPI(
        title="wabp",
        summary="WhatsApp-buurtpreventie: which group is mine, the zones, the public map",
        version="0.1.0",
        lifespan=lifespan,
        # Swagger UI and ReDoc load their scripts from a CDN: only when asked for (WABP_API_DOCS).
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
        # A trailing-slash redirect would be built from the request's Host: no redirects we did
        # not write ourselves (service/hosts.py).
        redirect_slashes=False,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(lookup.router)
    app.include_router(zones.router)
    app.include_router(generations.router)
    app.include_router(pages.router)
    app.include_router(coverage.router)
    app.include_router(auth_routes.router)
    app.include_router(registration_routes.router)
    app.include_router(signup.router)
    app.include_router(applicant_pages.router)
    app.include_router(password_pages.router)
    app.include_router(staff_mail.router)
    app.include_router(proposals.router)
    app.include_router(proposal_pages.router)
    app.include_router(staff_signin.router)
    app.include_router(staff_police.router)
    app.include_router(staff_coordinator.router)
    app.include_router(staff_municipality.router)
    app.include_router(staff_accounts.router)
    app.include_router(staff_publication.router)
    # Last: its /{municipality}/... paths must not hide any other page.
    app.include_router(pages.municipal_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(OriginCheck, base_url=settings.base_url)
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings), www_redirect=False
    )
    app.add_middleware(SecurityHeaders)  # added last: outermost, so the 413s get the headers too
    return app


def app_from_environment() -> FastAPI:
    """Create the app from the ``WABP_`` environment (the factory ``wabp serve --workers`` names)."""
    return create_app(Settings())
