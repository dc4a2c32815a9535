"""Tefu medical priority settings (environment prefix ``TEFU_MEDICAL_PRIORITY_``)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class MedicalPrioritySettings(ServiceSettings):
    service_name: ClassVar[str] = "medical-priority"
    model_config = SettingsConfigDict(env_prefix="TEFU_MEDICAL_PRIORITY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/medical_priority.db"
