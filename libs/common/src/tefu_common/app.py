"""The application factory every service uses.

It wires what each service has in common, so a service's ``main.py`` only adds its routers:
JSON logs with request ids, problem+json errors, Prometheus metrics, the database and its
monitor, token verification, field encryption, and the endpoints ``/healthz``, ``/readyz``,
``/metrics`` and ``GET /v1/whoami``.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Scope
from pydantic import BaseModel, Field

from tefu_common.auth import Authenticated, KeySet, NoRevocations, RemoteRevocationList, TokenVerifier
from tefu_common.db import Database, DatabaseGateMiddleware, DatabaseMonitor
from tefu_common.errors import PROBLEM_JSON, install_error_handlers
from tefu_common.field_crypto import BlindIndex, FieldCipher, KeyRing, configure_field_crypto
from tefu_common.logs import configure_logging, log_request
from tefu_common.metrics import Metrics
from tefu_common.migrations import current_revisions, head_revisions
from tefu_common.regions import RegionTable
from tefu_common.request_context import RequestIdMiddleware
from tefu_common.settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]


class InstitutionOut(BaseModel):
    kind: str = Field(description="hospital or agency")
    id: str = Field(description="Hospital code or agency id bound into the token.")


class WhoAmI(BaseModel):
    subject: str
    role: str
    scopes: list[str]
    region: str = Field(description="GB/T 2260 code the caller is scoped to; 000000 is the whole country.")
    region_name: str | None
    institution: InstitutionOut | None
    client_id: str | None
    expires_at: datetime


def token_verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    auth = settings.auth
    if auth.jwks_url:
        keys = KeySet(url=auth.jwks_url)
    elif auth.jwks_file:
        keys = KeySet.from_file(auth.jwks_file)
    else:
        raise ValueError(f"no issuer keys: set {settings.env_prefix}AUTH__JWKS_URL or AUTH__JWKS_FILE")
    revocations = (
        RemoteRevocationList(auth.revocations_url, refresh_seconds=auth.revocations_refresh_seconds)
        if auth.revocations_url
        else NoRevocations()
    )
    return TokenVerifier(
        keys,
        issuer=auth.issuer,
        audience=str(auth.audience),
        leeway_seconds=auth.leeway_seconds,
        revocations=revocations,
    )


def configure_encryption(settings: ServiceSettings) -> None:
    enc = settings.encryption
    keyring = KeyRing.from_config({k: v.get_secret_value() for k, v in enc.keys.items()}, enc.active_key_id)
    configure_field_crypto(
        FieldCipher(keyring), BlindIndex.from_base64(enc.blind_index_key.get_secret_value(), key_id="bi-1")
    )


def _health_router(migrations_dir: Path) -> APIRouter:
    router = APIRouter(tags=["health"])
    heads = head_revisions(migrations_dir)  # read once: the migration scripts do not change at run time
    problem = {"content": {PROBLEM_JSON: {}}, "description": "Not ready (problem+json names the failed check)."}

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database reachable and migrated to head", responses={503: problem})
    async def readyz(request: Request) -> Any:
        app = request.app
        monitor: DatabaseMonitor = app.state.database_monitor
        checks: dict[str, str] = {}
        if await monitor.probe():
            checks["database"] = "ok"
            async with app.state.database.engine.connect() as connection:
                current = await current_revisions(connection)
            checks["schema"] = "ok" if current == heads else f"at {sorted(current) or 'nothing'}, head is {sorted(heads)}"
        else:
            checks["database"] = f"unreachable ({monitor.last_error})"
            checks["schema"] = "unknown"
        app.state.metrics.database_up.labels(app.state.metrics.service).set(1 if monitor.available else 0)
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "checks": checks}
        failed = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        return JSONResponse(
            {"type": "https://tefu.example.cn/problems/not-ready", "title": "Not ready", "status": 503,
             "detail": failed, "checks": checks},
            status_code=503,
            media_type=PROBLEM_JSON,
        )

    return router


def _whoami_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["auth"])

    @router.get(
        "/whoami",
        response_model=WhoAmI,
        summary="Who the bearer token says you are",
        description="Any valid token. Returns subject, role, scopes, region and bound institution.",
    )
    async def whoami(caller: Authenticated) -> WhoAmI:
        return WhoAmI(
            subject=caller.subject,
            role=caller.role.value,
            scopes=sorted(s.value for s in caller.scopes),
            region=caller.region,
            region_name=RegionTable.default().name(caller.region) if caller.region != "000000" else "全国",
            institution=InstitutionOut(kind=caller.institution.kind, id=caller.institution.id)
            if caller.institution
            else None,
            client_id=caller.client_id,
            expires_at=caller.expires_at,
        )

    return router


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    version: str,
    migrations_dir: Path,
    routers: Sequence[APIRouter] = (),
    token_verifier: TokenVerifier | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    configure_logs: bool = True,
) -> FastAPI:
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    configure_encryption(settings)
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    monitor = DatabaseMonitor(database)
    metrics = Metrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        monitor.start()
        for hook in on_startup:
            await hook(app)
        # What lives from start-up to shutdown (the app, its routes, the region table, the rule
        # catalogue) is moved out of the collector's way: a full collection would otherwise walk
        # hundreds of thousands of objects and pause every request in flight for tens of ms.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            await monitor.stop()
            await database.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.database_monitor = monitor
    app.state.metrics = metrics
    app.state.token_verifier = token_verifier or token_verifier_from_settings(settings)

    install_error_handlers(app)
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    # The service's own routes first: a request is matched against routes in order.
    for router in routers:
        app.include_router(router)
    app.include_router(_health_router(migrations_dir))
    app.include_router(_whoami_router())

    def observe(scope: Scope, status: int, seconds: float) -> None:
        log_request(scope, status, seconds)
        metrics.observe(scope, status, seconds)

    # Added last = outermost: the request id exists before anything else runs or logs, and each
    # request is logged and measured there once answered.
    app.add_middleware(DatabaseGateMiddleware, monitor=monitor)
    app.add_middleware(RequestIdMiddleware, on_done=observe)
    return app
