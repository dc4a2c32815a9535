"""Tefu medical priority settings (environment prefix ``TEFU_MEDICAL_PRIORITY_``)."""

from pathlib import Path
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings
from tefu_common.signing import document_key_file


class MedicalPrioritySettings(ServiceSettings):
    service_name: ClassVar[str] = "medical-priority"
    model_config = SettingsConfigDict(env_prefix="TEFU_MEDICAL_PRIORITY_", env_nested_delimiter="__", extra="ignore")

    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/medical_priority.db"
    registry_url: str = Field("http://127.0.0.1:8001", description="The register whose change feed is followed.")
    eligibility_url: str = Field("http://127.0.0.1:8002", description="Who qualifies for the green channel, on a day.")
    ecard_key_dir: Path = Field(Path("var/keys"), description=(
        "Holds ecard-ed25519.pem (ecard-sm2.pem with TEFU_CRYPTO=sm) and ecard-jwks.json."))
    card_validity_years: int = Field(5, ge=1, le=20, description="How long a card is valid from its issue.")
    follow_registry: bool = Field(
        True, description="Follow the registry's change feed to issue and revoke cards (needs AUTH__TOKEN_URL, "
                          "AUTH__CLIENT_ID and AUTH__CLIENT_SECRET).")
    follow_interval_seconds: float = Field(2.0, gt=0, description="Pause between polls of the change feed when idle.")
    follow_concurrency: int = Field(8, ge=1, le=32, description="Families checked at once.")
    bulk_reconcile: bool = Field(
        True, description="Check the whole register at once (the first follow, the daily re-check, a large backlog) "
                          "from the eligibility service's standing stream, beside the family-by-family checks of "
                          "fresh changes; off: every family is checked on its own.")
    bulk_backlog: int = Field(2000, ge=1, description="Families waiting to be checked above which a bulk pass "
                                                      "catches up instead.")
    bulk_workers: int = Field(2, ge=1, le=16, description="Batches of a bulk pass in flight at once (PostgreSQL).")
    bulk_cover_margin_seconds: float = Field(
        5.0, ge=0, description="Changes of the feed this long before a bulk pass started are still checked one by "
                               "one (the registry records a change just before its transaction commits, so one "
                               "committed while the pass began is never missed).")
    register_region: str = Field("000000", description="The region whose register the service follows (its "
                                                       "client's region).")
    recheck_hour: int = Field(
        2, ge=0, le=23, description="Hour (Asia/Shanghai) after which the daily re-check of every holder's family "
                                    "and the expiry of cards run.")
    id_lookup_per_minute: int = Field(
        20, ge=1, description="Lookups by name and ID number a hospital may make per minute (429 beyond).")
    desk_cache_size: int = Field(
        100_000, ge=0, description="Cards the desk keeps in memory (about 1 KB each) to answer lookups by number "
                                   "without reading the database, kept true by PostgreSQL's notifications of every "
                                   "change (lookup/cache.py); 0: none. Not used on SQLite or with READ_DATABASE_URL.")
    desk_cache_seconds: float = Field(
        60.0, gt=0, le=3600, description="The longest a card stays in the desk's cache, whatever the notifications.")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        prefix = self.env_prefix
        key_file = document_key_file(self.ecard_key_dir / "ecard-ed25519.pem")  # the TEFU_CRYPTO mode's
        if not key_file.is_file():
            problems.append(f"{prefix}ECARD_KEY_DIR: no e-card signing key at {key_file} "
                            "(tefu-keys generate --name ecard)")
        if self.follow_registry and not self.auth.token_url:
            problems.append(f"{prefix}AUTH__TOKEN_URL (with AUTH__CLIENT_ID and AUTH__CLIENT_SECRET) is needed to follow "
                            f"the registry, or set {prefix}FOLLOW_REGISTRY=false")
        return problems


def app_settings(request: Request) -> MedicalPrioritySettings:
    """The running app's settings (a dependency)."""
    settings: MedicalPrioritySettings = request.app.state.settings
    return settings


AppSettings = Annotated[MedicalPrioritySettings, Depends(app_settings)]
