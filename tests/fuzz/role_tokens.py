"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=role_tokens``): each request with a token of a role the
operation admits, so that generated requests reach the handlers instead of stopping at 403.

Which roles an operation admits is read from its OpenAPI document: every secured operation lists
them in its security requirement (``{"HTTPBearer": ["admin", "clerk"]}``, see tefu_common.openapi).
The tokens, one per role, are in the JSON file named by ``TEFU_FUZZ_TOKENS``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

# An admin when the operation admits one (whole country, every scope), else the first role listed here.
PREFERENCE = ("admin", "clerk", "approver", "auditor", "service", "hospital", "agency")


def token_for(tokens: dict[str, str], roles: list[str]) -> str | None:
    for role in PREFERENCE:
        if role in roles:
            return tokens[role]
    return None


@schemathesis.auth()
class RoleTokens:
    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> dict[str, str]:
        with open(os.environ["TEFU_FUZZ_TOKENS"], encoding="utf-8") as file:
            return json.load(file)

    def set(self, case: schemathesis.Case, data: dict[str, str], ctx: schemathesis.AuthContext) -> None:
        security: list[dict[str, Any]] = case.operation.definition.raw.get("security") or []
        roles = [role for requirement in security for needed in requirement.values() for role in needed]
        token = token_for(data, roles)
        if token is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
