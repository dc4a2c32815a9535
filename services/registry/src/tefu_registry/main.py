"""The registry application."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from tefu_common.access_chain import start_sealer, stop_sealer
from tefu_common.app import create_service_app
from tefu_common.auth import KeySet, SigningKey, TokenIssuer, TokenVerifier
from tefu_common.partitions import ensure_monthly_partitions
from tefu_registry.access_log.auditors import router as access_log_router
from tefu_registry.access_log.models import ACCESS_CHAIN
from tefu_registry.accounts.router import router as accounts_router
from tefu_registry.accounts.signin import LockPolicy
from tefu_registry.changes.router import router as changes_router
from tefu_registry.duties.router import router as duties_router
from tefu_registry.families.router import router as families_router
from tefu_registry.imports.router import router as imports_router
from tefu_registry.liaisons.router import router as liaisons_router
from tefu_registry.oauth.limits import FailureLimiter
from tefu_registry.oauth.people import PeoplePolicy
from tefu_registry.oauth.router import router as oauth_router
from tefu_registry.signin.router import router as signin_router
from tefu_registry.oauth.service import DatabaseRevocations
from tefu_registry.payees.router import router as payees_router
from tefu_registry.people.router import router as people_router
from tefu_registry.reviews.router import router as reviews_router
from tefu_registry.settings import RegistrySettings
from tefu_registry.upstreams import ELIGIBILITY, LABELS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Tables that only grow, partitioned by month on PostgreSQL (migration 0007).
PARTITIONED = ("family_change", "access_log")

DESCRIPTION = """
特扶家庭登记服务：计划生育特殊家庭、成员、生活事件、联系人和走访记录，每一项变更都留有历史（一人一档），并作为变更订阅发布。

The family register of Tefu (特扶): special families (计划生育特殊家庭), their members, life events,
liaisons and contacts, with every change kept as history (一人一档) and published as a change feed.

- **Families**: register (`POST /v1/families`), read, search (exact name or ID number, region,
  status, event kind), change plain fields. ID numbers are validated (check character, birth date,
  region, retired codes accepted); a parent already registered is refused with 409.
- **Life events** are append-only and dated; a `correction` replaces or voids an earlier one.
  `GET /v1/families/{id}/status?as_of=` says whether the family was a special family on that day,
  and why.
- **Facts** for the eligibility service: one family (`/v1/families/{id}/facts`) or a whole region
  streamed as NDJSON (`/v1/facts`).
- **Imports** of CSV (UTF-8 or GBK) or XLSX files as background jobs, with a row-by-row report
  (row, column, code, reason) and the rejected rows as a file to fix and upload again.
- **Payees** (`POST /v1/payees`, payments service only): names, ID numbers and bank accounts of
  the members a batch pays.
- **People** (`POST /v1/people`, services only): names, ID numbers, sex and dates of members,
  without bank data, for the medical-priority service's cards.
- **Liaisons and contacts** (`/v1/families/{id}/liaisons`, `/contacts`): each contact is checked
  against the county's liaison duties, which the eligibility service keeps as dated data (a
  festival visit outside the window around the festival's lunar-calendar date is refused with
  that date), and linked to the liaison who made it.
- **Review tasks** (`/v1/review-tasks`): a bank that returns a payment because the payee died
  (MD07) or the account is closed or wrong (AC04, AC01 …) opens one, through the payments service,
  for a clerk of the family's region; recording the death or changing the bank account settles it,
  or the clerk dismisses it with a note.
- **Work lists** (`GET /v1/liaison-duties?region=&as_of=`): families due a contact this week,
  overdue (since when), with a festival or event visit outstanding, or missing a liaison; one
  family's duties (`/v1/families/{id}/liaison-duties`); **compliance** for a month, quarter,
  half-year or year (`GET /v1/liaison-compliance?region=&period=`), which inspectors' reports use.
- **Change feed** (`/v1/changes?after=&limit=` → `{items, next_after}`): every change in commit
  order, so a consumer resuming from its last `next_after` misses nothing.
- **Protection**: ID numbers, names, phones, addresses and bank accounts are encrypted at rest;
  lists mask them; every read of personal data is in the access log (`GET /v1/access-log`, for
  auditors; a hash chain that `GET /v1/access-log/verify` checks); every query is limited to the caller's region (a family elsewhere is simply not found).

It is also the suite's **token issuer**: `POST /oauth/token` (OAuth2 client credentials) for
machine clients; for people, the console's sign-in page (`GET /oauth/authorize`, authorization code
with PKCE), refresh tokens and sign-out (`POST /oauth/revoke`); people's **accounts**
(`/v1/accounts`, for admins of the region) and the **security log** (`GET /v1/security-log`); `GET /.well-known/jwks.json` for the public keys every service verifies with,
and `GET /oauth/revocations` for the tokens and clients that were revoked.

**Conventions.** Every `/v1` route needs a bearer token. Every list takes `cursor` and `limit` (at
most 1000) and answers `{"items": [...], "next_cursor": "..." | null}` (the family search adds
`total`); the change feed alone keeps an integer position (see its description). Errors are
`application/problem+json` (RFC 9457) with a stable `code`, the `field` at fault, and a `detail`
in Chinese (English with `Accept-Language: en`).
"""


def create_app(settings: RegistrySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or RegistrySettings()
    signing_key = SigningKey.load(settings.signing_key_file)
    keys = KeySet.from_file(settings.auth.jwks_file) if settings.auth.jwks_file else KeySet()
    app = create_service_app(
        settings=settings,
        title="Tefu registry",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        upstreams={ELIGIBILITY: (LABELS[ELIGIBILITY], settings.eligibility_url)},
        routers=[families_router, liaisons_router, duties_router, imports_router, changes_router, access_log_router, payees_router,
                 people_router, oauth_router, signin_router, accounts_router, reviews_router],
        token_verifier=TokenVerifier(
            # The issuer always trusts its own current key, even if the JWKS file lags behind.
            keys.with_key(signing_key.kid, signing_key.private_key.public_key()),
            issuer=settings.auth.issuer,
            audience=str(settings.auth.audience),
            leeway_seconds=settings.auth.leeway_seconds,
        ),
        on_startup=[_partitions_ahead, _seal_access_log],
        on_shutdown=[stop_sealer],
        configure_logs=configure_logs,
    )
    app.state.token_verifier.revocations = DatabaseRevocations(app.state.database.sessionmaker)
    app.state.token_issuer = TokenIssuer(signing_key, issuer=settings.auth.issuer, ttl_seconds=settings.token_ttl_seconds)
    app.state.published_jwks = _published_jwks(settings, signing_key)
    # People: the console's sign-in (authorization code + PKCE) and the lock-outs.
    app.state.people_policy = PeoplePolicy(
        redirect_uris=tuple(settings.console_redirect_uris),
        code_ttl=timedelta(seconds=settings.authorization_code_ttl_seconds),
        access_ttl_seconds=settings.person_token_ttl_seconds,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    app.state.lock_policy = LockPolicy(
        account_failures=settings.account_failure_limit, address_failures=settings.address_failure_limit,
        window=timedelta(minutes=settings.failure_window_minutes), lock=timedelta(minutes=settings.lock_minutes),
    )
    app.state.trusted_proxies = tuple(settings.trusted_proxies)
    # Failed client authentications, per client id and per address (oauth/limits.py).
    app.state.client_failures = FailureLimiter(per_client=settings.client_failure_limit,
                                               per_address=settings.client_address_failure_limit,
                                               window=settings.client_failure_window_seconds)
    # The sign-in page's CSRF cookie and enrolment step are signed with a key derived from the
    # issuer's private key: nothing more to configure, and it changes when the key is rotated.
    app.state.signin_secret = hashlib.sha256(b"tefu-signin-forms:" + signing_key.pem()).hexdigest()
    return app


async def _partitions_ahead(app: FastAPI) -> None:
    """The change feed's and access log's partitions for the coming months (PostgreSQL only)."""
    await ensure_monthly_partitions(app.state.database.engine, PARTITIONED)


async def _seal_access_log(app: FastAPI) -> None:
    """Seal the access log's new rows into its hash chain in the background (GET /v1/access-log/verify)."""
    start_sealer(app, [ACCESS_CHAIN])


def _published_jwks(settings: RegistrySettings, signing_key: SigningKey) -> dict:
    published = {signing_key.kid: signing_key.jwk}
    if settings.auth.jwks_file and settings.auth.jwks_file.is_file():
        for jwk in json.loads(settings.auth.jwks_file.read_text()).get("keys", []):
            published.setdefault(jwk["kid"], jwk)
    return {"keys": list(published.values())}
