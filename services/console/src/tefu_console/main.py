"""The console application: pages over the five services' public APIs, signed in at the issuer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tefu_common.app import create_service_app
from tefu_common.auth import KeySet, TokenVerifier
from tefu_console.accounts.router import router as accounts_router
from tefu_console.audit.router import router as audit_router
from tefu_console.auth.issuer import Issuer
from tefu_console.auth.router import router as auth_router
from tefu_console.auth.sessions import SessionStore
from tefu_console.errors import install_error_pages
from tefu_console.duties.router import router as duties_router
from tefu_console.families.router import router as families_router
from tefu_console.home.router import router as home_router
from tefu_console.imports.router import router as imports_router
from tefu_console.payments.router import router as payments_router
from tefu_console.reports.router import router as reports_router
from tefu_console.reviews.router import router as reviews_router
from tefu_console.services import ELIGIBILITY, LABELS, MEDICAL_PRIORITY, PAYMENTS, REGISTRY, SUPERVISION
from tefu_console.settings import ConsoleSettings
from tefu_console.supervision.router import router as supervision_router
from tefu_console.web import PACKAGE, ProblemPagesMiddleware, SecurityHeadersMiddleware, content_security_policy

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The clerks' console (工作台) of Tefu: server-rendered Chinese pages over the public APIs of the
registry, eligibility, payments, medical-priority and supervision services, called with the signed-in person's
own token. People sign in at the issuer (OAuth 2.0 authorization code with PKCE); the tokens stay in
the console's server-side session, and the browser holds only an HttpOnly, SameSite=Lax cookie.
"""


def create_app(settings: ConsoleSettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or ConsoleSettings()
    app = create_service_app(
        settings=settings,
        title="Tefu console",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[auth_router, home_router, families_router, duties_router, imports_router, payments_router,
                 reports_router, supervision_router, audit_router, accounts_router, reviews_router],
        # The console verifies no bearer tokens itself: the services do, on every call it makes.
        token_verifier=TokenVerifier(KeySet({}), issuer=settings.auth.issuer, audience="tefu-console"),
        whoami=False,  # so no bearer token is ever good here: a /v1/whoami would only answer 401
        upstreams={
            REGISTRY: (LABELS[REGISTRY], settings.registry_url),
            ELIGIBILITY: (LABELS[ELIGIBILITY], settings.eligibility_url),
            PAYMENTS: (LABELS[PAYMENTS], settings.payments_url),
            MEDICAL_PRIORITY: (LABELS[MEDICAL_PRIORITY], settings.medical_priority_url),
            SUPERVISION: (LABELS[SUPERVISION], settings.supervision_url),
        },
        configure_logs=configure_logs,
    )
    issuer = Issuer(upstream=app.state.upstreams[REGISTRY], issuer_url=settings.issuer_url,
                    client_id=settings.client_id, redirect_uri=settings.redirect_uri)
    app.state.sessions = SessionStore(app.state.database.sessionmaker, issuer,
                                      idle=timedelta(minutes=settings.session_idle_minutes))
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    install_error_pages(app)
    app.add_middleware(ProblemPagesMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, csp=content_security_policy(settings.issuer_url))
    return app
