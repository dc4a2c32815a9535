"""Service-to-service calls: the service's own token and the caller's request id travel along."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tefu_common.http_client import ClientCredentialsAuth, service_client
from tefu_common.request_context import set_request_id
from tefu_common.testing import mint_token

pytestmark = pytest.mark.processes


async def test_service_token_and_request_id_propagate(suite):
    admin = mint_token(suite.signing_key, role="admin", region="000000")
    created = httpx.post(
        f"{suite.url('registry')}/v1/oauth-clients",
        json={"client_id": "svc-payments-caller", "role": "service", "region": "000000",
              "audiences": ["tefu-eligibility"]},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    auth = ClientCredentialsAuth(f"{suite.url('registry')}/oauth/token", created["client_id"], created["client_secret"])

    set_request_id("batch-2026-11-trace")
    try:
        async with service_client(suite.url("eligibility"), auth=auth) as client:
            response = await client.get("/v1/whoami")
    finally:
        set_request_id(None)

    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "client:svc-payments-caller"
    assert response.headers["x-request-id"] == "batch-2026-11-trace"
    assert wait_for_log_line(suite.services["eligibility"], path="/v1/whoami", request_id="batch-2026-11-trace")


def wait_for_log_line(service, timeout: float = 5.0, **fields: str) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in service.log().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "tefu.access" and all(entry.get(k) == v for k, v in fields.items()):
                    return True
        time.sleep(0.1)
    return False


async def test_service_token_is_cached(suite):
    admin = mint_token(suite.signing_key, role="admin", region="000000")
    created = httpx.post(
        f"{suite.url('registry')}/v1/oauth-clients",
        json={"client_id": "svc-cache-check", "role": "service", "region": "000000"},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    auth = ClientCredentialsAuth(f"{suite.url('registry')}/oauth/token", created["client_id"], created["client_secret"])
    first = await auth.token()
    assert await auth.token() == first
    assert await auth.token(refresh=True) != first
