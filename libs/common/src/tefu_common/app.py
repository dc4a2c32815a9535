"""The application factory every service uses.

It wires what each service has in common, so a service's ``main.py`` only adds its routers:
logs with request ids, problem+json errors and the OpenAPI document that declares them, the
offline ``/docs`` and ``/redoc``, Prometheus metrics, the database and its monitor, token
verification, field encryption, the clients of other services (``upstreams``), and the endpoints
``/healthz``, ``/readyz``, ``/metrics`` and ``GET /v1/whoami``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Scope
from pydantic import BaseModel, Field

from tefu_common import collector
from tefu_common.auth import Authenticated, KeySet, NoRevocations, RemoteRevocationList, TokenVerifier
from tefu_common.db import Database, DatabaseGateMiddleware, DatabaseMonitor
from tefu_common.docs import install_docs
from tefu_common.errors import PROBLEM_BASE, PROBLEM_JSON, install_error_handlers
from tefu_common.fast_routes import FastRoute, FastRoutesMiddleware
from tefu_common.field_crypto import BlindIndex, FieldCipher, KeyRing, configure_field_crypto
from tefu_common.logs import configure_logging, log_request
from tefu_common.i18n import Text
from tefu_common.bodies import BodyLimitMiddleware
from tefu_common.nul import NulCharacterMiddleware
from tefu_common.metrics import Metrics
from tefu_common.migrations import current_revisions, head_revisions
from tefu_common.openapi import install_openapi, problems
from tefu_common.regions import RegionTable
from tefu_common.request_context import RequestIdMiddleware
from tefu_common.settings import ServiceSettings
from tefu_common.upstream import Upstream, service_auth_from

Hook = Callable[[FastAPI], Awaitable[None]]


class InstitutionOut(BaseModel):
    kind: str = Field(description="hospital or agency")
    id: str = Field(description="Hospital code or agency id bound into the token.")


class WhoAmI(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "subject": "clerk-zhang", "role": "clerk", "scopes": ["families:read", "families:write"], "region": "370306",
        "region_name": "周村区", "institution": None, "client_id": None, "expires_at": "2026-12-01T12:00:00Z"}]}}

    subject: str = Field(description="Who the token was issued to.")
    role: str = Field(description="admin, clerk, approver, agency, hospital, auditor or service.")
    scopes: list[str] = Field(description="What the token allows.")
    region: str = Field(description="GB/T 2260 code the caller is scoped to; 000000 is the whole country.")
    region_name: str | None = Field(description="The region's name (全国 for 000000).")
    institution: InstitutionOut | None = Field(description="The hospital or agency a machine client acts for.")
    client_id: str | None = Field(description="The OAuth client that got the token, if any.")
    expires_at: datetime = Field(description="When the token stops being accepted.")


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

    @router.get("/healthz", summary="存活检查：进程在应答", description=(
        "Liveness: answers 200 as long as the process runs, without touching the database (for a load "
        "balancer's or Kubernetes' liveness probe)."),
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="就绪检查：数据库可达且已迁移到最新", description=(
        "Readiness: 200 when the database answers and its schema is at the migrations' head; otherwise 503 "
        "naming the failed check (for a readiness probe: send no traffic until it is 200)."),
        responses={200: {"content": {"application/json": {"example": {
            "status": "ready", "checks": {"database": "ok", "schema": "ok"}}}}},
            **problems(**{"503": "未就绪：数据库不可达或未迁移到最新（Not ready: `checks` names the failed check）"})})
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
        title = Text("未就绪", "Not ready")
        return JSONResponse(
            {"type": PROBLEM_BASE + "not-ready", "title": title.render(), "status": 503, "code": "not-ready",
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
        summary="我是谁：令牌所代表的身份",
        description="Any valid token. Returns subject, role, scopes, region and bound institution: the quickest "
                    "way to check a token before calling anything else.",
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
    upstreams: Mapping[str, tuple[Text, str]] | None = None,
    configure_logs: bool = True,
    whoami: bool = True,
    fast_routes: Sequence[FastRoute] = (),
) -> FastAPI:
    """``upstreams``: the other services this one calls, by name: (what people call it, base URL).
    ``whoami=False``: no ``GET /v1/whoami``, for an app that verifies no bearer tokens itself.
    ``fast_routes``: handlers of a hot route ahead of the framework's routing (tefu_common.fast_routes)."""
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level, log_format=settings.log_format,
                          log_dir=settings.log_dir)
    configure_encryption(settings)
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds,
                        read_url=settings.read_database_url)
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
        collector.settle()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            for upstream in app.state.upstreams.values():
                await upstream.aclose()
            await monitor.stop()
            await database.dispose()

    # docs_url=None, redoc_url=None: FastAPI's own pages load Swagger UI from a CDN (see docs.py).
    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    app.state.settings = settings
    service_auth = service_auth_from(settings)  # one token cache for every upstream
    app.state.upstreams = {
        name: Upstream(name, label, url, service_auth=service_auth, timeout=settings.http_timeout_seconds,
                       retries=settings.http_retries)
        for name, (label, url) in (upstreams or {}).items()
    }
    app.state.database = database
    app.state.database_monitor = monitor
    app.state.metrics = metrics
    app.state.token_verifier = token_verifier or token_verifier_from_settings(settings)

    install_error_handlers(app)
    install_openapi(app)
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    # The service's own routes first: a request is matched against routes in order.
    for router in routers:
        app.include_router(router)
    app.include_router(_health_router(migrations_dir))
    if whoami:
        app.include_router(_whoami_router())
    install_docs(app)  # after the service's routes: a request is matched against routes in order

    def observe(scope: Scope, status: int, seconds: float) -> None:
        log_request(scope, status, seconds)
        metrics.observe(scope, status, seconds)

    # Added last = outermost: the request id exists before anything else runs or logs, and each
    # request is logged and measured there once answered.
    app.add_middleware(NulCharacterMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # outside the NUL check, which reads JSON bodies whole
    if fast_routes:  # inside the gate: a fast route never runs while the database is down
        app.add_middleware(FastRoutesMiddleware, routes=fast_routes, owner=app)
    app.add_middleware(DatabaseGateMiddleware, monitor=monitor)
    app.add_middleware(RequestIdMiddleware, on_done=observe)
    return app
