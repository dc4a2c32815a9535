"""Registry settings (environment prefix ``TEFU_REGISTRY_``)."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tefu_common.settings import Environment, ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: ClassVar[str] = "registry"
    model_config = SettingsConfigDict(env_prefix="TEFU_REGISTRY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/registry.db"
    # A running import renews its lease (the job's heartbeat) several times within this; a job whose
    # lease ran out lost its worker and shows as interrupted, to be resumed by uploading the file again.
    import_lease_seconds: float = 60.0
    # Processes checking a large import's rows, a chunk each, while the service writes the chunk
    # before (each takes a core; on two cores one is as fast as two).
    import_workers: int = Field(default=1, ge=1, le=64)
    # The liaison duties (contact frequencies, festival windows) are the eligibility service's data.
    eligibility_url: str = "http://127.0.0.1:8002"
    # The registry is the suite's token issuer: it alone holds the private signing key.
    signing_key_file: Path = Path("var/keys/issuer-ed25519.pem")
    token_ttl_seconds: int = 3600
    # People sign in to the console (a public client: PKCE, no secret) and come back only here.
    console_redirect_uris: list[str] = ["http://127.0.0.1:8000/auth/callback"]
    # A person's access token is short; the console renews it with the rotating refresh token,
    # and a sign-in lasts at most refresh_token_ttl_seconds.
    person_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 12 * 3600
    authorization_code_ttl_seconds: int = 60
    # Lock-out: this many failures within the window lock the account (or the client address)
    # for lock_minutes.
    account_failure_limit: int = 5
    address_failure_limit: int = 20
    failure_window_minutes: int = 15
    lock_minutes: int = 15
    # Machine clients: failed client authentications before /oauth/token answers 429, per client id
    # and per address, within client_failure_window_seconds.
    client_failure_limit: int = 10
    client_address_failure_limit: int = 30
    client_failure_window_seconds: float = 300.0
    # Reverse proxies whose X-Forwarded-For is believed (the client address of the security log).
    trusted_proxies: list[str] = []

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.signing_key_file.is_file():
            problems.append(f"TEFU_REGISTRY_SIGNING_KEY_FILE: no signing key at {self.signing_key_file}")
        return problems


__all__ = ["Environment", "RegistrySettings"]
