"""Every route of every service, called with a token that holds no scope: none answers with data
or changes anything. (A route that forgot its scope check would answer 2xx, or 404/422 after
looking something up, instead of 403.)"""

from __future__ import annotations

import re

import httpx
import pytest

from tefu_common.auth import Role, TokenIssuer
from tefu_common.testing import bearer

pytestmark = pytest.mark.processes

SERVICES = ("registry", "eligibility", "payments", "medical-priority", "supervision")
# Routes any valid token may call, by design.
OPEN_TO_ANY_TOKEN = {("GET", "/v1/whoami"), ("GET", "/v1/accounts/me")}


def _scopeless(suite, role: Role) -> str:  # type: ignore[no-untyped-def]
    token, _ = TokenIssuer(suite.signing_key).issue(subject="walker", role=role, scopes=frozenset(), region="000000")
    return token


def _operations(suite) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for service in SERVICES:
        document = httpx.get(f"{suite.url(service)}/openapi.json", timeout=30).json()
        for path, operations in document["paths"].items():
            if not path.startswith(("/v1/", "/fhir/CoverageEligibilityRequest")):
                continue  # sign-in, token, key, health and FHIR metadata endpoints: public or their own credentials
            for method in operations:
                if (method.upper(), path) not in OPEN_TO_ANY_TOKEN:
                    found.append((service, method.upper(), path))
    return found


def test_no_route_answers_a_token_without_scopes(suite):
    operations = _operations(suite)
    assert len(operations) > 80  # the walk covers the suite, not a handful
    leaks = []
    for role in (Role.admin, Role.clerk):
        headers = bearer(_scopeless(suite, role))
        for service, method, path in operations:
            url = suite.url(service) + re.sub(r"\{[^}]+\}", "1", path)
            kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            answer = httpx.request(method, url, headers=headers, timeout=60, **kwargs)
            if answer.status_code not in (401, 403):
                leaks.append((role.value, method, path, answer.status_code))
    assert leaks == []
