"""The supervision application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_supervision.reports.router import router as reports_router
from tefu_supervision.returns.router import router as returns_router
from tefu_supervision.returns.service import check_forms
from tefu_supervision.scoresheet.scoring import check_sheets
from tefu_supervision.settings import SupervisionSettings
from tefu_supervision.upstreams import ELIGIBILITY, LABELS, MEDICAL_PRIORITY, PAYMENTS, REGISTRY

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The figures inspectors score, for a region and a period, gathered from the services that own them,
and every report produced, kept as it was.

- **Report** (`GET /v1/supervision?region=&period=`, `format=json|xlsx`): families on the register
  and liaison compliance (registry), 发放到位率 of special assistance, the one-time condolence payment
  and the premium subsidies (payments), cards issued, coverage and green-channel use
  (medical-priority), and who is entitled to each cash benefit (eligibility). Each figure names its
  sources; one whose service does not answer says so and is not guessed.
- **Score sheet**: within Hubei (420000) the 附件2 检查表 of 鄂卫生计生通〔2016〕89号, item by item: what
  the data decides is scored with its basis, what only the inspection team can judge (documents,
  sampled interviews, systems outside Tefu) is listed as such.
- **Kept reports** (`GET /v1/supervision/reports`, `…/reports/{id}`): immutable, with the SHA-256 of
  their content, and each new report compared with the previous one of the same region and period.
- **Statistics returns** (`GET /v1/returns/due?region=&on=`, `POST /v1/returns`, `GET /v1/returns`,
  `…/returns/{id}`): the tables a document asks a region for each half-year (Foshan 440600: 附件5 and
  附件6, due before 06-25 and 12-25), which are due, overdue or produced; producing one fills the rows
  Tefu can compute from the same figures and marks the rest for the district (由区卫生健康局填报).

Inspectors (role auditor) and admins hold `supervision:read`; clerks, approvers, banks and hospitals
do not (403). Every figure is read with the caller's own token, so each service applies the
inspector's region and logs the reads under the inspector; a region outside the caller's is 422
`region-outside-scope`. Errors are `application/problem+json` (RFC 9457) with a stable `code`, the
`field` at fault and a Chinese `detail` (English with `Accept-Language: en`).
"""


def create_app(settings: SupervisionSettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or SupervisionSettings()
    check_sheets()  # a score sheet naming a computation that does not exist stops the service at start-up
    check_forms()  # so does a statistics return
    return create_service_app(
        settings=settings,
        title="Tefu supervision",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[reports_router, returns_router],
        upstreams={REGISTRY: (LABELS[REGISTRY], settings.registry_url),
                   ELIGIBILITY: (LABELS[ELIGIBILITY], settings.eligibility_url),
                   PAYMENTS: (LABELS[PAYMENTS], settings.payments_url),
                   MEDICAL_PRIORITY: (LABELS[MEDICAL_PRIORITY], settings.medical_priority_url)},
        configure_logs=configure_logs,
    )
