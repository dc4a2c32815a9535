"""Tefu payments settings (environment prefix ``TEFU_PAYMENTS_``)."""

from pathlib import Path
from typing import Annotated, ClassVar

from fastapi import Depends, Request

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings
from tefu_common.signing import document_key_file


class PaymentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "payments"
    model_config = SettingsConfigDict(env_prefix="TEFU_PAYMENTS_", env_nested_delimiter="__", extra="ignore")

    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/payments.db"
    eligibility_url: str = Field("http://127.0.0.1:8002", description="Where entitlements are computed.")
    registry_url: str = Field("http://127.0.0.1:8001", description="Where payees' bank details are read.")
    arrears_months: int = Field(
        12, ge=0, le=59, description="How many months before a batch's period are searched for amounts owed but never paid.")
    batch_lookahead_periods: int = Field(
        1, ge=0, le=1, description="A batch may be for the current period or, with 1, the next one (paying before a "
                                   "holiday); never later.")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        key_file = document_key_file(self.file_signing_key_file)  # the TEFU_CRYPTO mode's, beside it
        if not key_file.is_file():
            problems.append(f"TEFU_PAYMENTS_FILE_SIGNING_KEY_FILE: no manifest signing key at {key_file}")
        return problems
    file_signing_key_file: Path = Field(
        Path("var/keys/payments-file-ed25519.pem"),
        description="Ed25519 key that signs disbursement manifests (created on first start outside production); with "
                    "TEFU_CRYPTO=sm the SM2 key beside it, named -sm2.pem instead of -ed25519.pem.")
    entitlements_timeout_seconds: float = Field(300.0, description="Longest wait for a region's entitlements stream.")
    notice_interval_seconds: float = Field(
        5.0, gt=0, le=3600, description="How often undelivered notices to the registry (review tasks from bank returns) "
        "are sent again; a return file wakes the sender at once.")


async def _current(request: Request) -> PaymentsSettings:
    settings: PaymentsSettings = request.app.state.settings
    return settings


CurrentSettings = Annotated[PaymentsSettings, Depends(_current)]
"""The running app's settings, as a dependency."""
