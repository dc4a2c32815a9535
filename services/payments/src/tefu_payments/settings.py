"""Tefu payments settings (environment prefix ``TEFU_PAYMENTS_``)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "payments"
    model_config = SettingsConfigDict(env_prefix="TEFU_PAYMENTS_", env_nested_delimiter="__", extra="ignore")

    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/payments.db"
