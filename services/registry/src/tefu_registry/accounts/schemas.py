"""Request and response bodies of the accounts API. No answer ever carries a password or a TOTP secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tefu_common.auth import Role
from tefu_common.regions import RegionCodeStr

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
INSTITUTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

ACCOUNT_EXAMPLE = {
    "id": 7, "username": "clerk-zhoucun", "display_name": "周村区经办员", "role": "clerk", "region": "370306",
    "region_name": "周村区", "institution_kind": None, "institution_id": None, "disabled": False,
    "totp_enabled": False, "totp_required": False, "locked_until": None, "last_sign_in_at": "2026-12-01T01:20:00Z",
    "password_changed_at": "2026-11-30T08:00:00Z", "created_at": "2026-11-30T08:00:00Z", "created_by": "admin-shandong",
    "updated_at": "2026-11-30T08:00:00Z",
}


def _lower(value: str) -> str:
    return value.strip().lower()


def _blank_is_none(value: object) -> object:
    """A form's empty field (the console sends every input) means "none", not an empty code."""
    return None if isinstance(value, str) and not value.strip() else value


class AccountCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "clerk-zhoucun", "display_name": "周村区经办员", "role": "clerk", "region": "370306",
        "password": "Zhoucun2026ab",
    }]})

    username: str = Field(pattern=USERNAME_PATTERN, description="Lowercase letters, digits, `.`, `_`, `-`; 3 to 64.")
    display_name: str = Field(min_length=1, max_length=100, description="The person's name as colleagues see it.")
    role: Role = Field(description="admin, clerk, approver, auditor; hospital or agency staff name their institution.")
    region: RegionCodeStr = Field(description="GB/T 2260 code the person works for (within yours).")
    password: str = Field(min_length=1, max_length=128, description=(
        "At least 10 characters, letters and digits, not containing the username. Never stored or shown."))
    hospital: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Hospital code; required for role hospital.")
    agency: str | None = Field(None, pattern=INSTITUTION_PATTERN, description="Agency id; required for role agency.")

    _username = field_validator("username", mode="before")(lambda v: _lower(v) if isinstance(v, str) else v)
    _institution = field_validator("hospital", "agency", mode="before")(_blank_is_none)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"display_name": "周村区经办员（王）", "disabled": False}]})

    display_name: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None
    region: RegionCodeStr | None = Field(None, description="Within your region.")
    disabled: bool | None = Field(None, description="A disabled account cannot sign in; its sign-ins end.")
    hospital: str | None = Field(None, pattern=INSTITUTION_PATTERN)
    agency: str | None = Field(None, pattern=INSTITUTION_PATTERN)

    _institution = field_validator("hospital", "agency", mode="before")(_blank_is_none)


class PasswordSet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"password": "Xinmima2026zc"}]})

    password: str = Field(min_length=1, max_length=128, description="The new password (same rules as on creation).")


class AccountOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ACCOUNT_EXAMPLE]})

    id: int
    username: str
    display_name: str
    role: Role
    region: str
    region_name: str | None
    institution_kind: str | None
    institution_id: str | None
    disabled: bool
    totp_enabled: bool = Field(description="A TOTP authenticator is enrolled.")
    totp_required: bool = Field(description="The role must use TOTP (admin, approver): enrolment at the next sign-in.")
    locked_until: datetime | None = Field(description="Locked after repeated failures until then (null: not locked).")
    last_sign_in_at: datetime | None
    password_changed_at: datetime
    created_at: datetime
    created_by: str
    updated_at: datetime


class SecurityLogOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 311, "at": "2026-12-02T02:35:10Z", "event": "sign-in", "outcome": "failure", "actor": "clerk-zhoucun",
        "account_id": 7, "username": "clerk-zhoucun", "region": "370306", "client_address": "10.12.0.31",
        "detail": "wrong-password",
    }]})

    id: int
    at: datetime
    event: str = Field(description=(
        "sign-in, account-locked, address-locked, totp-enrolled, signed-out, token-refresh, account-created, "
        "account-updated, password-set, account-unlocked, totp-reset"))
    outcome: str = Field(description="success, failure or refused.")
    actor: str = Field(description="Who acted: the person signing in, or the administrator.")
    account_id: int | None
    username: str | None = Field(description="The account concerned (as typed, for an unknown username).")
    region: str
    client_address: str | None
    detail: str | None = Field(description="A short code of why (never a password or a code).")
