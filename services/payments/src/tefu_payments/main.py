"""The payments application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_payments.agencies.router import router as agencies_router
from tefu_payments.batches.router import router as batches_router
from tefu_payments.settings import PaymentsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Payments of Tefu (特扶): the benefit ledger, payment batches with maker-checker approval,
disbursement files for agent banks, their return files and reconciliation.

- **Agencies** (`/v1/agencies`, admins): the agent banks and the file format each takes.
- **Batches** (`/v1/batches`): a clerk prepares a batch for a region, benefits and period (month,
  quarter or year); it holds every line due from the eligibility service plus arrears, minus what
  the ledger already holds, each with the payee's bank account as the registry has it. A batch
  moves draft → submitted → approved (by an approver who did not prepare it), or is rejected or
  cancelled, which releases its lines for a later batch. `Idempotency-Key` makes creation safe to
  retry.
- **The ledger** holds at most one pending or paid line per (payee, benefit, period): the
  database refuses a second payment whatever happens above it.

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`);
errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: PaymentsSettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    return create_service_app(
        settings=settings or PaymentsSettings(),
        title="Tefu payments",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[agencies_router, batches_router],
        configure_logs=configure_logs,
    )
