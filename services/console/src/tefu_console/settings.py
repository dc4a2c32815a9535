"""Tefu console settings (environment prefix ``TEFU_CONSOLE_``)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tefu_common.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    service_name: ClassVar[str] = "console"
    model_config = SettingsConfigDict(env_prefix="TEFU_CONSOLE_", env_nested_delimiter="__", extra="ignore")

    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/console.db"
    registry_url: str = Field("http://127.0.0.1:8001", description="The registry, reached from this server; "
                              "also where the code is exchanged for tokens (/oauth/token, /oauth/revoke).")
    eligibility_url: str = Field("http://127.0.0.1:8002", description="The eligibility service.")
    payments_url: str = Field("http://127.0.0.1:8003", description="The payments service.")
    medical_priority_url: str = Field("http://127.0.0.1:8004", description="The medical-priority service.")
    supervision_url: str = Field("http://127.0.0.1:8005", description="The supervision service (督导检查, "
                                 "returns due); its pages are for people who hold supervision:read.")
    issuer_url: str = Field("http://127.0.0.1:8001", description="The issuer as the person's browser reaches it: "
                            "/oauth/authorize is sent there, and forms may post there (CSP form-action).")
    public_url: str = Field("http://127.0.0.1:8000", description="This console as the browser reaches it; the "
                            "redirect URI is <public_url>/auth/callback.")
    client_id: str = Field("console", description="The console's OAuth client id at the issuer (a public client).")
    session_idle_minutes: int = Field(30, ge=1, description="A session unused this long ends.")
    cookie_secure: bool = Field(False, description="Send the session cookie over HTTPS only (set behind TLS).")
    page_size: int = Field(20, ge=1, le=200, description="Rows a list page shows.")

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/auth/callback"

    def production_problems(self) -> list[str]:
        # The console keeps no personal data of its own and verifies no tokens: the field keys and
        # issuer key set the other services need do not apply; its database and cookie do.
        prefix = self.env_prefix
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append(f"{prefix}DATABASE_URL points at the embedded SQLite file; use PostgreSQL")
        if not self.cookie_secure:
            problems.append(f"{prefix}COOKIE_SECURE is off: the session cookie would travel without TLS")
        return problems
