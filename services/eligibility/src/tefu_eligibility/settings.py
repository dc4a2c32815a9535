"""Tefu eligibility settings (environment prefix ``TEFU_ELIGIBILITY_``)."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: ClassVar[str] = "eligibility"
    model_config = SettingsConfigDict(env_prefix="TEFU_ELIGIBILITY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/eligibility.db"
    registry_url: str = Field("http://127.0.0.1:8001", description="Where the registry's facts are read.")
    catalogue_dir: Path | None = Field(None, description="Rule files to load instead of the packaged catalogue.")
