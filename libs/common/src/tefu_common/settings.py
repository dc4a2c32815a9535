"""Service settings from the environment (pydantic-settings), one prefix per service.

Every service subclasses :class:`ServiceSettings` with its own prefix (``TEFU_REGISTRY_`` …),
port and default SQLite file. Nested groups use ``__``: ``TEFU_PAYMENTS_AUTH__JWKS_URL``.

The defaults make a laptop run work with no configuration at all; in ``production`` the same
defaults are refused at start-up (fail fast) rather than discovered in an incident: the
development encryption keys, the embedded SQLite database and a missing key set all stop the
process with a message naming the variable to set.
"""

from __future__ import annotations

import base64
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Well-known development keys: public by design, so production refuses them.
DEV_ENCRYPTION_KEY = base64.b64encode(b"tefu-development-field-key-00001").decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(b"tefu-development-blind-index-key").decode()
DEV_KEY_VALUES = {DEV_ENCRYPTION_KEY, DEV_BLIND_INDEX_KEY}


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class AuthSettings(BaseModel):
    """How this service verifies bearer tokens, and how it gets its own for outgoing calls."""

    issuer: str = "tefu"
    audience: str | None = Field(None, description="Defaults to tefu-<service>.")
    jwks_file: Path | None = Field(Path("var/keys/issuer-jwks.json"), description="Issuer public keys (JWKS file).")
    jwks_url: str | None = Field(None, description="Issuer public keys fetched over HTTP; wins over jwks_file.")
    revocations_url: str | None = Field(None, description="Issuer's list of revoked tokens and clients.")
    revocations_refresh_seconds: float = 15.0
    leeway_seconds: int = 30
    token_url: str | None = Field(None, description="OAuth2 token endpoint for this service's own token.")
    client_id: str | None = None
    client_secret: SecretStr | None = None


class EncryptionSettings(BaseModel):
    """Keys for personal data at rest: AES-GCM keys by id, and the blind-index HMAC key.

    The same keys serve ``TEFU_CRYPTO=sm``: SM4-GCM under HKDF-SM3 of each 32-byte key, and
    HMAC-SM3 under the blind-index key (``tefu_common.field_crypto``), so a switch of mode needs no
    new secrets, only ``make reencrypt``.
    """

    keys: dict[str, SecretStr] = Field(default_factory=lambda: {"dev-1": SecretStr(DEV_ENCRYPTION_KEY)})
    active_key_id: str = "dev-1"
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``service_name``, the prefix and defaults."""

    service_name: ClassVar[str] = "service"
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    environment: Environment = Environment.development
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/service.db"
    database_connect_timeout_seconds: float = 5.0
    read_database_url: str | None = Field(None, description=(
        "A streaming replica of database_url (PostgreSQL), for the reads that may lag it by moments: the "
        "desk's card lookups and the reports. Writes, and every read that decides a write, stay on database_url."))
    log_level: str = Field("INFO", description="What reaches stdout: DEBUG, INFO (a line a request) or WARNING.")
    log_format: Literal["json", "console"] = Field(
        "json", description="json: one JSON object a line (for log collectors); console: short lines for a terminal.")
    log_dir: Path | None = Field(None, description="If set, every line also goes as JSON to <log_dir>/<service>.log.")
    auth: AuthSettings = Field(default_factory=AuthSettings)
    encryption: EncryptionSettings = Field(default_factory=EncryptionSettings)
    http_timeout_seconds: float = 10.0
    http_retries: int = 3
    access_chain_interval_seconds: float = Field(1.0, description=(
        "How often the access logs' new rows are sealed into their hash chain (0: not at all, for tools)."))

    @model_validator(mode="after")
    def _complete(self) -> ServiceSettings:
        if self.auth.audience is None:
            self.auth.audience = f"tefu-{self.service_name}"
        if self.encryption.active_key_id not in self.encryption.keys:
            raise ValueError(
                f"encryption.active_key_id {self.encryption.active_key_id!r} is not one of the configured "
                f"encryption.keys ({', '.join(sorted(self.encryption.keys)) or 'none'})"
            )
        if self.environment is Environment.production:
            problems = self.production_problems()
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def env_prefix(self) -> str:
        return str(self.model_config.get("env_prefix", ""))

    def production_problems(self) -> list[str]:
        """What would make this configuration unsafe in production (empty when it is fine)."""
        prefix = self.env_prefix
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append(f"{prefix}DATABASE_URL points at the embedded SQLite file; use PostgreSQL")
        if any(key.get_secret_value() in DEV_KEY_VALUES for key in self.encryption.keys.values()):
            problems.append(f"{prefix}ENCRYPTION__KEYS still holds the public development key")
        if self.encryption.blind_index_key.get_secret_value() in DEV_KEY_VALUES:
            problems.append(f"{prefix}ENCRYPTION__BLIND_INDEX_KEY is the public development key")
        if not self.auth.jwks_url and not (self.auth.jwks_file and self.auth.jwks_file.is_file()):
            problems.append(f"no issuer keys: set {prefix}AUTH__JWKS_URL or {prefix}AUTH__JWKS_FILE")
        if self.auth.token_url and not (self.auth.client_id and self.auth.client_secret):
            problems.append(f"{prefix}AUTH__TOKEN_URL is set without AUTH__CLIENT_ID and AUTH__CLIENT_SECRET")
        return problems
