"""The eligibility application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_eligibility import registry
from tefu_eligibility.catalogue.catalogue import Catalogue, default_catalogue
from tefu_eligibility.duties.router import router as duties_router
from tefu_eligibility.entitlements.router import router as entitlements_router
from tefu_eligibility.entitlements.standing_router import router as standing_router
from tefu_eligibility.evaluation.router import router as evaluation_router
from tefu_eligibility.overlays.current import CatalogueInForce
from tefu_eligibility.overlays.router import router as overlays_router
from tefu_eligibility.policies.router import catalogue_router
from tefu_eligibility.policies.router import router as policies_router
from tefu_eligibility.settings import EligibilitySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The policy catalogue of Tefu (特扶): every jurisdiction's rules as dated data, evaluation of a family
on a date with the reasons, and bulk entitlements of a region for a period.

- **Catalogue** (`GET /v1/policies`, a page of documents; `GET /v1/policies/{region_code}?as_of=`): one
  YAML file per policy document (national base, Hunan, Zhoucun, Shanghai and Jiading, Foshan, Hubei), each rule
  with its benefit code, kind, basis, frequency, recipients, conditions, amount formula over dated
  parameters, effective dates and citation. Files are validated when the service starts.
- **Layers**: a region gets the rules of every level containing it (national → province → city →
  county); a lower level replaces a benefit of the same code while its document is in force, and
  parameters (amounts) resolve from the family's own region upwards, so a county can set an amount
  its province left to local decision.
- **Evaluation** (`POST /v1/evaluate`, `GET /v1/families/{id}/evaluation`): is the family a
  special family on the date, which benefits are due (with amounts, recipients, totals, `due_on`
  for once-only benefits, citations) and, for every other benefit, why not. Every amount carries
  `amount_status`: `local` (a local standard is configured), `national_minimum` (only the national
  floor is known: the amount shown is that floor) or `unknown` (`amount: null`, with the reason in
  Chinese: the document sets no amount, its values start later, or the local document lapsed with no
  successor). A rule that restates a standing measure says so in `provenance`; drafts (征求意见稿) are
  listed in `drafts`; every answer names the `catalogue_version` (content hash of the files and the
  approved overlays) it was computed under.
- **Catalogue health** (`GET /v1/catalogue/health?region=&on=`): lapsed documents without a successor,
  amounts unknown or only the national floor, optional measures with no local amount, drafts in use,
  cash benefits without an amount and values without a cited source, region by region.
- **Local parameter values** (`/v1/regions/{region}/parameters`): an admin of a region proposes a dated
  value for a parameter of the rule files (an amount a document left to local decision, a raised
  standard), citing the document that sets it; another admin approves it (maker-checker), and it is
  the deepest layer for every family within the region (at once in the approving process, within a
  second in the others). Every proposal and decision is kept:
  `GET …/parameters/{parameter}/history`.
- **Liaison duties** (`GET /v1/duties?region=&on=`, `GET /v1/festivals?year=`,
  `GET /v1/duties/festival-visit`): what each document asks of the liaisons (contact frequencies,
  festival visits with their windows, visits after events, who the liaisons must be), dated and
  layered like the rules, each with its clause; festival dates come from the lunar calendar.
- **Bulk entitlements** (`POST /v1/entitlements`): one NDJSON line per (person, benefit, month)
  due in a region, computed over the registry's facts stream without holding either in memory.

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`).
The registry is read with the caller's own token, so it applies the caller's region and logs the
read under the caller's name. Lists answer the suite's one page shape (`?cursor=&limit=` in,
`{items, next_cursor}` out); the bulk entitlements are an NDJSON stream instead. Errors are
`application/problem+json` (RFC 9457, schema `ProblemDetail`) with a stable `code`, the `field` at
fault and a `detail` in Chinese (English with `Accept-Language: en`); the reasons in an evaluation
are Chinese, for the clerk who explains them. When the registry cannot be reached the answer is
503 `upstream-unavailable` with Retry-After; when it refuses, 502 `upstream-refused`; when it
fails (a 500), 502 `upstream-error` with its `upstream_request_id`, not a reason to retry.
"""


def create_app(settings: EligibilitySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or EligibilitySettings()
    # Loading validates every rule file: a broken catalogue stops the service at start-up.
    catalogue = Catalogue.load(settings.catalogue_dir) if settings.catalogue_dir else default_catalogue()
    app = create_service_app(
        settings=settings,
        title="Tefu eligibility",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[policies_router, catalogue_router, evaluation_router, entitlements_router, standing_router, overlays_router,
                 duties_router],
        upstreams={registry.NAME: (registry.LABEL, settings.registry_url)},
        configure_logs=configure_logs,
    )
    app.state.catalogues = CatalogueInForce(catalogue)
    return app
