"""Tefu supervision settings (environment prefix ``TEFU_SUPERVISION_``)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    service_name: ClassVar[str] = "supervision"
    model_config = SettingsConfigDict(env_prefix="TEFU_SUPERVISION_", env_nested_delimiter="__", extra="ignore")

    port: int = 8005
    database_url: str = "sqlite+aiosqlite:///var/supervision.db"
    registry_url: str = Field("http://127.0.0.1:8001", description="Families, liaisons and their compliance.")
    eligibility_url: str = Field("http://127.0.0.1:8002", description="Who is entitled to each benefit.")
    payments_url: str = Field("http://127.0.0.1:8003", description="The disbursement rate (发放到位率).")
    medical_priority_url: str = Field("http://127.0.0.1:8004", description="Cards issued and green-channel use.")
    gather_timeout_seconds: float = Field(
        120.0, gt=0, description="How long one source may take to answer (a province's entitlements are a stream).")
