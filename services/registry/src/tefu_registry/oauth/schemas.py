"""Request and response bodies of the token issuer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.auth import Role, Scope
from tefu_common.regions import RegionCodeStr

CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
INSTITUTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


_CLIENT_EXAMPLE = {
    "client_id": "his-440604-001", "role": "hospital", "region": "440604", "scopes": ["cards:lookup", "visits:write"],
    "audiences": ["tefu-medical-priority"], "institution_kind": "hospital", "institution_id": "H440604001",
    "description": "禅城区人民医院 HIS", "created_at": "2026-11-23T08:15:02Z", "created_by": "admin-foshan",
    "revoked_at": None, "revoked_by": None,
}


class ClientCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "client_id": "his-440604-001", "role": "hospital", "region": "440604", "hospital": "H440604001",
        "description": "禅城区人民医院 HIS",
    }]})

    client_id: str = Field(pattern=CLIENT_ID_PATTERN, description="Lowercase id, e.g. his-440604-001.")
    role: Role
    region: RegionCodeStr = Field(description="GB/T 2260 code the client is scoped to (000000: whole country).")
    scopes: list[Scope] | None = Field(None, max_length=50, description="Subset of the role's scopes; all of them if omitted.")
    audiences: list[str] | None = Field(None, max_length=10, description="Services the tokens are for; by role if omitted.")
    hospital: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Hospital code; required for role hospital.")
    agency: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Agency id; required for role agency.")
    description: str = Field("", max_length=200)


class ClientOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT_EXAMPLE]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_CLIENT_EXAMPLE, "client_secret": "q3Jx0bN4tqVv2m9d7kZr1wP8sYc6hF5eLg0aUoTiXn4"}]})

    client_secret: str = Field(description="Shown once; only a hash is stored.")


class TokenResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJjbGllbnQ6aGlzLTQ0MDYwNC0wMDEifQ.c2lnbmF0dXJl",
        "token_type": "Bearer", "expires_in": 3600, "scope": "cards:lookup visits:write",
    }]})

    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    refresh_token: str | None = Field(None, description=(
        "Grants authorization_code and refresh_token only: exchange it for new tokens (it rotates: each use "
        "gives a new one, and the old one stops working)."))


class RevokedClientOut(BaseModel):
    client_id: str
    revoked_at: int = Field(description="Unix time; tokens issued at or before it are revoked.")


class RevocationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "token_ids": ["4f1c2a9e0b7d4e3f8a6c5b2d1e0f9a8b"], "clients": [{"client_id": "his-440604-009", "revoked_at": 1795420502}],
    }]})

    token_ids: list[str]
    clients: list[RevokedClientOut]
