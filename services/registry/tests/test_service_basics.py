"""Health, readiness, metrics, request ids and problem+json as any client sees them."""

from __future__ import annotations

import pytest

from tefu_common.testing import app_client, scratch_database
from tefu_registry.main import create_app

from tefu_common.testing import bearer


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


async def test_readiness_fails_on_an_unmigrated_database(settings, tmp_path):
    with scratch_database("registry_empty", tmp_path) as empty_url:
        app = create_app(settings.model_copy(update={"database_url": empty_url}), configure_logs=False)
        async with app_client(app) as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["schema"].startswith("at nothing, head is")


async def test_metrics_count_requests_by_route_template(client, token):
    await client.get("/v1/oauth-clients/some-client", headers=bearer(token(role="admin", region="370306")))
    text = (await client.get("/metrics")).text
    assert 'route="/v1/oauth-clients/{client_id}"' in text
    assert "some-client" not in text


async def test_request_id_is_echoed_or_made_up(client):
    echoed = await client.get("/healthz", headers={"X-Request-ID": "clerk-desk-42"})
    assert echoed.headers["x-request-id"] == "clerk-desk-42"
    made_up = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made_up.headers["x-request-id"] != "bad id with spaces" and len(made_up.headers["x-request-id"]) == 32


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/v1/nothing-here", headers={"X-Request-ID": "r-1"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["request_id"] == "r-1"


@pytest.mark.parametrize(
    ("body", "field", "code", "message"),
    [
        ({"role": "service", "region": "370306"}, "body.client_id", "missing", "必须填写"),
        ({"client_id": "Bad Id", "role": "service", "region": "370306"}, "body.client_id", "string-pattern-mismatch",
         "格式不对"),
        ({"client_id": "svc-x", "role": "mayor", "region": "370306"}, "body.role", "enum", "应为以下之一"),
    ],
)
async def test_validation_errors_list_the_fields(client, token, body, field, code, message):
    response = await client.post("/v1/oauth-clients", json=body, headers=bearer(token(role="admin", region="370306")))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/validation-error") and problem["status"] == 422
    assert (problem["code"], problem["field"]) == (code, field)
    assert problem["errors"][0]["field"] == field and problem["errors"][0]["code"] == code
    assert message in problem["errors"][0]["detail"]


async def test_openapi_documents_the_issuer(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/oauth/token", "/oauth/revoke", "/oauth/revocations", "/.well-known/jwks.json", "/v1/whoami",
                 "/v1/oauth-clients", "/healthz", "/readyz"):
        assert path in paths
