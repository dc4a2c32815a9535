"""Registry settings (environment prefix ``TEFU_REGISTRY_``)."""

from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tefu_common.settings import Environment, ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: ClassVar[str] = "registry"
    model_config = SettingsConfigDict(env_prefix="TEFU_REGISTRY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/registry.db"
    # The registry is the suite's token issuer: it alone holds the private signing key.
    signing_key_file: Path = Path("var/keys/issuer-ed25519.pem")
    token_ttl_seconds: int = 3600

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.signing_key_file.is_file():
            problems.append(f"TEFU_REGISTRY_SIGNING_KEY_FILE: no signing key at {self.signing_key_file}")
        return problems


__all__ = ["Environment", "RegistrySettings"]
