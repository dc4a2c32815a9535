"""The registry application."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_common.auth import KeySet, SigningKey, TokenIssuer, TokenVerifier
from tefu_registry.access_log.router import router as access_log_router
from tefu_registry.changes.router import router as changes_router
from tefu_registry.families.router import router as families_router
from tefu_registry.imports.router import router as imports_router
from tefu_registry.liaisons.router import router as liaisons_router
from tefu_registry.oauth.router import router as oauth_router
from tefu_registry.oauth.service import DatabaseRevocations
from tefu_registry.settings import RegistrySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The family register of Tefu (特扶): special families, their members, life events, liaisons and
a change feed, with every change kept as history.

It is also the suite's **token issuer**: `POST /oauth/token` (OAuth2 client credentials) for
machine clients, `GET /.well-known/jwks.json` for the public keys every service verifies with,
and `GET /oauth/revocations` for the tokens and clients that were revoked.

Every `/v1` route needs a bearer token; errors are `application/problem+json` (RFC 9457).
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
        routers=[families_router, liaisons_router, imports_router, changes_router, access_log_router, oauth_router],
        token_verifier=TokenVerifier(
            # The issuer always trusts its own current key, even if the JWKS file lags behind.
            keys.with_key(signing_key.kid, signing_key.private_key.public_key()),
            issuer=settings.auth.issuer,
            audience=str(settings.auth.audience),
            leeway_seconds=settings.auth.leeway_seconds,
        ),
        configure_logs=configure_logs,
    )
    app.state.token_verifier.revocations = DatabaseRevocations(app.state.database.sessionmaker)
    app.state.token_issuer = TokenIssuer(signing_key, issuer=settings.auth.issuer, ttl_seconds=settings.token_ttl_seconds)
    app.state.published_jwks = _published_jwks(settings, signing_key)
    return app


def _published_jwks(settings: RegistrySettings, signing_key: SigningKey) -> dict:
    published = {signing_key.kid: signing_key.jwk}
    if settings.auth.jwks_file and settings.auth.jwks_file.is_file():
        for jwk in json.loads(settings.auth.jwks_file.read_text()).get("keys", []):
            published.setdefault(jwk["kid"], jwk)
    return {"keys": list(published.values())}
