"""Tokens across the suite: one issuer (the registry), four verifiers, real processes and HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

pytestmark = pytest.mark.processes


def register_client(suite, **body) -> dict:
    admin = mint_token(suite.signing_key, role="admin", region="000000", subject="suite-admin")
    response = httpx.post(f"{suite.url('registry')}/v1/oauth-clients", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


def client_token(suite, created: dict) -> str:
    response = httpx.post(
        f"{suite.url('registry')}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], created["client_secret"]),
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def wait_for_status(url: str, token: str, status: int, timeout: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(url, headers=bearer(token))
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_every_service_knows_the_caller(suite):
    token = mint_token(suite.signing_key, role="clerk", region="370306", subject="clerk-zhoucun")
    for name in ("registry", "eligibility", "payments", "medical-priority"):
        response = httpx.get(f"{suite.url(name)}/v1/whoami", headers=bearer(token))
        assert response.status_code == 200, (name, response.text)
        assert response.json()["subject"] == "clerk-zhoucun"
        assert response.json()["region"] == "370306"


def test_hospital_client_credentials_reach_medical_priority_only(suite):
    created = register_client(
        suite, client_id="his-440604-h1", role="hospital", region="440604", hospital="H440604001"
    )
    token = client_token(suite, created)
    whoami = httpx.get(f"{suite.url('medical-priority')}/v1/whoami", headers=bearer(token))
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["institution"] == {"kind": "hospital", "id": "H440604001"}
    assert whoami.json()["role"] == "hospital"
    refused = httpx.get(f"{suite.url('payments')}/v1/whoami", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "token-audience"


def test_revoking_a_client_reaches_every_service(suite):
    created = register_client(suite, client_id="bank-420000-a", role="agency", region="420000", agency="ICBC-HB")
    token = client_token(suite, created)
    payments_whoami = f"{suite.url('payments')}/v1/whoami"
    assert httpx.get(payments_whoami, headers=bearer(token)).status_code == 200

    admin = mint_token(suite.signing_key, role="admin", region="420000")
    revoked = httpx.post(f"{suite.url('registry')}/v1/oauth-clients/{created['client_id']}/revoke", headers=bearer(admin))
    assert revoked.status_code == 200

    refused = wait_for_status(payments_whoami, token, 401)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token-revoked"


def test_revoking_one_token_reaches_every_service(suite):
    victim = mint_token(suite.signing_key, role="auditor", region="310114")
    eligibility_whoami = f"{suite.url('eligibility')}/v1/whoami"
    assert httpx.get(eligibility_whoami, headers=bearer(victim)).status_code == 200
    admin = mint_token(suite.signing_key, role="admin", region="310000")
    response = httpx.post(f"{suite.url('registry')}/oauth/revoke", data={"token": victim}, headers=bearer(admin))
    assert response.status_code == 200, response.text
    assert wait_for_status(eligibility_whoami, victim, 401).status_code == 401
    # Another token of the same person is unaffected: revocation is per token.
    other = mint_token(suite.signing_key, role="auditor", region="310114")
    assert httpx.get(eligibility_whoami, headers=bearer(other)).status_code == 200
