"""Request and response bodies of the token issuer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tefu_common.auth import Role, Scope
from tefu_common.regions import RegionCodeStr

CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
INSTITUTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ClientCreate(BaseModel):
    client_id: str = Field(pattern=CLIENT_ID_PATTERN, description="Lowercase id, e.g. his-440604-001.")
    role: Role
    region: RegionCodeStr = Field(description="GB/T 2260 code the client is scoped to (000000: whole country).")
    scopes: list[Scope] | None = Field(None, description="Subset of the role's scopes; all of them if omitted.")
    audiences: list[str] | None = Field(None, description="Services the tokens are for; by role if omitted.")
    hospital: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Hospital code; required for role hospital.")
    agency: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Agency id; required for role agency.")
    description: str = Field("", max_length=200)


class ClientOut(BaseModel):
    client_id: str
    role: Role
    region: str
    scopes: list[str]
    audiences: list[str]
    institution_kind: str | None
    institution_id: str | None
    description: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class ClientWithSecret(ClientOut):
    client_secret: str = Field(description="Shown once; only a hash is stored.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class RevokedClientOut(BaseModel):
    client_id: str
    revoked_at: int = Field(description="Unix time; tokens issued at or before it are revoked.")


class RevocationList(BaseModel):
    token_ids: list[str]
    clients: list[RevokedClientOut]
