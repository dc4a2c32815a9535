"""The payments application."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from tefu_common.access_chain import start_sealer, stop_sealer
from tefu_common.app import create_service_app
from tefu_common.partitions import ensure_monthly_partitions, ensure_period_partitions
from tefu_common.settings import Environment
from tefu_common.signing import load_signer
from tefu_payments.agencies.router import router as agencies_router
from tefu_payments.access_log.models import PAYMENTS_CHAIN
from tefu_payments.audit.router import router as access_log_router
from tefu_payments.batches.building import PROGRAMME_START
from tefu_payments.batches.models import UNDATED_PERIODS
from tefu_payments.batches.router import router as batches_router
from tefu_payments.disbursement.router import router as disbursement_router
from tefu_payments.notices.sender import NoticeSender
from tefu_payments.reports.router import router as reports_router
from tefu_payments.returns.router import router as returns_router
from tefu_payments.schedules.router import router as schedules_router
from tefu_payments.settings import PaymentsSettings
from tefu_payments.upstreams import ELIGIBILITY, LABELS, REGISTRY, RegistryClient

log = logging.getLogger("tefu.payments")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Partitioned on PostgreSQL (migration 0010): the ledger by pay period, a year a partition; the
# access log by month.
BY_PERIOD = ("ledger_line",)
BY_MONTH = ("access_log",)

DESCRIPTION = """
Payments of Tefu (特扶): the benefit ledger, payment batches with maker-checker approval,
disbursement files for agent banks, their return files and reconciliation.

- **Agencies** (`/v1/agencies`, admins): the agent banks and the file format each takes.
- **Payment schedules** (`/v1/payment-schedules/{region_code}`, admins set, batch readers read):
  whether a region pays monthly, quarterly or yearly, and which benefits it pays otherwise. A region
  without a schedule follows the nearest region above it that has one; with none, monthly.
- **Batches** (`/v1/batches`): a clerk prepares a batch for a region, benefits and period (a month,
  quarter or year, as the region's schedule says: another period is refused with 422); it holds
  every line due from the eligibility service plus arrears, minus what
  the ledger already holds, each with the payee's bank account as the registry has it. A batch
  moves draft → submitted → approved (by an approver who did not prepare it), or is rejected or
  cancelled, which releases its lines for a later batch. `Idempotency-Key` makes creation safe to
  retry; while one batch of a region is being built, another request for the region gets 409
  `batch-being-built` at once.
- **Files** (`GET /v1/agency/batches`, `GET /v1/batches/{id}/file`, agencies): the approved
  batch in the agency's format (CSV UTF-8/GBK, XLSX, fixed-width), the same bytes on every pull,
  with its SHA-256; `GET /v1/batches/{id}/manifest` signs count, total and hash (Ed25519, or SM2
  with `TEFU_CRYPTO=sm`; keys at `/.well-known/jwks.json`).
- **Returns** (`POST /v1/batches/{id}/returns`, agencies): paid or failed per line, all checked
  before any is applied; failed lines are owed again and carried by the next batch.
- **Reports**: `GET /v1/reports/disbursement-rate` (发放到位率 per benefit and month, JSON, CSV or
  XLSX) and `GET /v1/people/{member_id}/payments` (every line of a person, its batch, its fate).
- **The ledger** holds at most one pending or paid line per (payee, benefit, period): the
  database refuses a second payment whatever happens above it.
- **Access log** (`GET /v1/access-log`, auditors and admins, `audit:read`; sealed into a hash chain
  that `GET /v1/access-log/verify` checks): every read of personal
  data held here, whoever made it — each pull of a disbursement file (first or later), each return
  file posted (applied or refused), each page of a batch's lines and each person's payment history:
  who, for which institution, when, which batch and people, how many lines, what was shown, the
  file's SHA-256 and the request id. Region-scoped; filter by time, reader, person, batch, action.

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`).

**Lists** all take `?cursor=&limit=` (at most 1000) and answer `{"items": [...], "next_cursor": ...}`:
pass `next_cursor` back as `cursor` until it is null.

**Errors** are `application/problem+json` (RFC 9457, the `ProblemDetail` schema) with a stable
machine `code` (`batch-not-found`, `nothing-due`, `maker-checker`, `period-frequency` …), the
`field` at fault and a `detail` in Chinese (English with `Accept-Language: en`); a 422 lists every
field in `errors`, and a refused return file names each `row` and `column`. The eligibility
service or the registry unreachable is 503 `upstream-unavailable` with Retry-After; one refusing
is 502 `upstream-refused` (its 422 reaches the caller as our own 422); one failing (a 500) is 502
`upstream-error` with its `upstream_request_id`.
"""


def create_app(settings: PaymentsSettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or PaymentsSettings()
    app = create_service_app(
        settings=settings,
        title="Tefu payments",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[agencies_router, schedules_router, batches_router, disbursement_router, returns_router, reports_router,
                 access_log_router],
        upstreams={ELIGIBILITY: (LABELS[ELIGIBILITY], settings.eligibility_url),
                   REGISTRY: (LABELS[REGISTRY], settings.registry_url)},
        on_startup=[_partitions_ahead, _start_notices, _seal_access_log],
        on_shutdown=[_stop_notices, stop_sealer],
        configure_logs=configure_logs,
    )
    app.state.notice_sender = None
    app.state.manifest_signer = load_signer(settings.file_signing_key_file,
                                            create=settings.environment is not Environment.production)
    return app


async def _partitions_ahead(app: FastAPI) -> None:
    """The ledger's partitions to next year, the coming months' of the access log (PostgreSQL only)."""
    engine = app.state.database.engine
    # From the programme's first year: a batch may pay arrears of any period since.
    await ensure_period_partitions(engine, BY_PERIOD, first=PROGRAMME_START.year, undated=UNDATED_PERIODS)
    await ensure_monthly_partitions(engine, BY_MONTH)


async def _seal_access_log(app: FastAPI) -> None:
    """Seal the access log's new entries (with the people they name) into its hash chain, in the background."""
    start_sealer(app, [PAYMENTS_CHAIN])


async def _start_notices(app: FastAPI) -> None:
    """Deliver the register's notices (a bank said a payee died, an account is closed) in the background."""
    registry = app.state.upstreams[REGISTRY]
    if not registry.has_service_credentials:
        log.warning("not delivering notices to the registry: no service credentials (AUTH__TOKEN_URL, "
                    "AUTH__CLIENT_ID, AUTH__CLIENT_SECRET)")
        return
    app.state.notice_sender = NoticeSender(app.state.database.sessionmaker, RegistryClient(registry.as_service()),
                                           interval=app.state.settings.notice_interval_seconds)
    app.state.notice_sender.start()


async def _stop_notices(app: FastAPI) -> None:
    if app.state.notice_sender is not None:
        await app.state.notice_sender.stop()
