"""The medical-priority application."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from tefu_common.access_chain import start_sealer, stop_sealer
from tefu_common.app import create_service_app
from tefu_common.fast_routes import declared_route
from tefu_common.auth.keys import key_paths
from tefu_common.partitions import ensure_monthly_partitions
from tefu_common.settings import Environment
from tefu_common.signing import load_signer
from tefu_medical_priority.access_log.models import lookup_chain
from tefu_medical_priority.audit.router import router as access_log_router
from tefu_medical_priority.cards.router import router as cards_router
from tefu_medical_priority.ecards.router import router as ecards_router
from tefu_medical_priority.fhir.router import router as fhir_router
from tefu_medical_priority.hospitals.directory import HospitalDirectory
from tefu_medical_priority.hospitals.router import router as hospitals_router
from tefu_medical_priority.lookup.router import fast_check_card
from tefu_medical_priority.lookup.router import router as lookup_router
from tefu_medical_priority.lookup.cache import CardCache
from tefu_medical_priority.lookup.service import Desk
from tefu_medical_priority.reports.router import router as reports_router
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_medical_priority.sync.follower import Follower
from tefu_medical_priority.upstreams import ELIGIBILITY, LABELS, REGISTRY, EligibilityClient, RegistryClient
from tefu_medical_priority.visits.router import router as visits_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# The lookup log only grows: partitioned by month on PostgreSQL (migration 0006).
PARTITIONED = ("lookup_log",)
log = logging.getLogger("tefu.medical_priority")

DESCRIPTION = """
Medical priority of Tefu (特扶): priority cards (方便就医卡 / 就医便利卡 / 医疗优诊证) and signed QR
e-cards, the lookup hospital HIS systems call at registration, and the visit log.

- **For hospital HIS** (role `hospital`; the hospital comes from the token):
  `GET /v1/cards/{card_no}`, `POST /v1/cards/verify` (a card number or an e-card's QR payload) and
  `POST /v1/cards/lookup` (name and ID number together, rate-limited) answer valid or not, the
  masked holder, the privileges, the fee waivers at the calling hospital and the free ambulance,
  and, for a holder with no guardian on record, the family's liaisons (who sign consent for
  surgery: post, name, work phone, unit), and nothing else; a card that is not valid says why as
  a code (`reason`) and in words (`reason_detail`), never whether the holder died. `POST /v1/visits` records what was given.
  These read only this service's own store: they keep working while the registry and
  eligibility services are down. Every lookup is in the access log, committed before its answer
  leaves.
- **HL7 FHIR R4** for HIS systems that speak it: `POST /fhir/CoverageEligibilityRequest` answers
  a `CoverageEligibilityResponse` holding exactly the desk's answer (errors as `OperationOutcome`),
  with the same token, rate limit and lookup log; `GET /fhir/metadata` is the capability statement.
- **E-cards**: QR payloads are compact JWS signed with Ed25519 (`EdDSA`), or SM2 with SM3 (`SM2`)
  where the suite runs with `TEFU_CRYPTO=sm`; the public keys are at `GET /.well-known/jwks.json`
  for offline verification.
- **Cards** follow the register by themselves: the service reads the registry's change feed and
  asks the eligibility service who holds the green channel on the day; it issues cards to members
  who qualify and revokes those of members who died or stopped qualifying, within a minute, with
  the reason. It keeps a copy of each family's current liaisons and of whether its parents are
  alive, for the desk. Clerks list, read, issue, suspend, reinstate, revoke and reissue by hand
  (`/v1/cards`), and get an e-card for the holder's phone (`/v1/cards/{card_no}/ecard`). Every
  read of a card by a clerk or inspector is in the access log too.
- **Hospitals** (`/v1/hospitals`, admins): code, name, region, level, designated (定点), fees
  waived; loadable from a CSV or XLSX file (bad rows listed with row, column, code and reason).
- **Reports** (`/v1/reports/cards`, `/v1/reports/visits`): cards issued, active, revoked and
  coverage per county; visits, holders served and fees waived per hospital; JSON, CSV or XLSX.
- **Access log** (`/v1/access-log`, auditors): every read of a card, sealed into a hash chain
  (`/v1/access-log/verify` checks it).

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`).
Every list takes `cursor` and `limit` (at most 1000) and answers `{"items": [...], "next_cursor":
"…" | null}`: pass `next_cursor` back as `cursor` until it is null. Errors are
`application/problem+json` (RFC 9457) with a stable `code`, the `field` at fault and a `detail`
in Chinese (English with `Accept-Language: en`).
"""


def create_app(settings: MedicalPrioritySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or MedicalPrioritySettings()

    async def start(app: FastAPI) -> None:
        # The coming months' partitions first: the desk writes to the log as soon as it is up.
        await ensure_monthly_partitions(app.state.database.engine, PARTITIONED)
        await app.state.desk.start()
        start_sealer(app, [lookup_chain])  # the lookup log's hash chain (GET /v1/access-log/verify)
        registry, eligibility = app.state.upstreams[REGISTRY], app.state.upstreams[ELIGIBILITY]
        if settings.follow_registry and registry.has_service_credentials:
            app.state.follower = Follower(app.state.database, RegistryClient(registry.as_service()),
                                          EligibilityClient(eligibility.as_service()), settings)
            app.state.follower.start()
        elif settings.follow_registry:
            log.warning("not following the registry: no service credentials (TEFU_MEDICAL_PRIORITY_AUTH__TOKEN_URL, "
                        "AUTH__CLIENT_ID, AUTH__CLIENT_SECRET); cards are issued by hand only")

    async def stop(app: FastAPI) -> None:
        if app.state.follower is not None:
            await app.state.follower.stop()
            app.state.follower = None
        await app.state.desk.stop()
        await stop_sealer(app)

    app = create_service_app(
        settings=settings,
        title="Tefu medical priority",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        routers=[lookup_router, cards_router, visits_router, hospitals_router, reports_router, access_log_router,
                 ecards_router, fhir_router],
        on_startup=[start],
        on_shutdown=[stop],
        upstreams={REGISTRY: (LABELS[REGISTRY], settings.registry_url),
                   ELIGIBILITY: (LABELS[ELIGIBILITY], settings.eligibility_url)},
        configure_logs=configure_logs,
        fast_routes=[fast_check_card],
    )
    app.state.card_route = declared_route(app, "GET", "/v1/cards/0")
    app.state.ecard_signer = load_signer(key_paths(settings.ecard_key_dir, "ecard")[0],
                                         create=settings.environment is not Environment.production)
    app.state.hospital_directory = HospitalDirectory(app.state.database.sessionmaker)
    app.state.desk = Desk(app.state.database, app.state.hospital_directory, app.state.ecard_signer,
                          id_lookups_per_minute=settings.id_lookup_per_minute,
                          cache=CardCache(size=settings.desk_cache_size, max_age=settings.desk_cache_seconds))
    app.state.follower = None
    return app
