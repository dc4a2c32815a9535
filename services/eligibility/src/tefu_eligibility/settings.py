"""Tefu eligibility settings (environment prefix ``TEFU_ELIGIBILITY_``)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: ClassVar[str] = "eligibility"
    model_config = SettingsConfigDict(env_prefix="TEFU_ELIGIBILITY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/eligibility.db"
