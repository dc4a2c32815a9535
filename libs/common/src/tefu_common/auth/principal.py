"""Who is calling: the verified content of a bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tefu_common.auth.roles import INSTITUTION_KIND, Role, Scope

NATIONAL_REGION = "000000"


@dataclass(frozen=True)
class Institution:
    kind: str  # "hospital" or "agency"
    id: str


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    scopes: frozenset[Scope]
    region: str
    institution: Institution | None
    client_id: str | None
    token_id: str
    expires_at: datetime

    def has_scopes(self, *scopes: Scope) -> bool:
        return set(scopes) <= self.scopes

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Build from verified claims; ValueError if the claims do not make a caller."""
        try:
            role = Role(claims["role"])
        except (KeyError, ValueError):
            raise ValueError(f"unknown role {claims.get('role')!r}") from None
        region = claims.get("region")
        if not isinstance(region, str) or not region.isdigit() or len(region) not in (6, 9, 12):
            raise ValueError("region claim must be a GB/T 2260 code (6, 9 or 12 digits)")
        raw_scopes = claims.get("scope", "")
        if not isinstance(raw_scopes, str):
            raise ValueError("scope claim must be a space-separated string")
        known = Scope._value2member_map_
        scopes = frozenset(Scope(s) for s in raw_scopes.split() if s in known)
        institution = None
        if claims.get("institution") is not None:
            inst = claims["institution"]
            if not isinstance(inst, dict) or not inst.get("kind") or not inst.get("id"):
                raise ValueError("institution claim must be {kind, id}")
            institution = Institution(kind=str(inst["kind"]), id=str(inst["id"]))
        expected_kind = INSTITUTION_KIND.get(role)
        if expected_kind and (institution is None or institution.kind != expected_kind):
            raise ValueError(f"a {role.value} token must name its {expected_kind}")
        return cls(
            subject=str(claims["sub"]),
            role=role,
            scopes=scopes,
            region=region,
            institution=institution,
            client_id=claims.get("client_id"),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc),
        )
