"""The payments service answers health, readiness and whoami, and keeps to its audience."""

from tefu_common.testing import schema_drift
from tefu_payments.models import Base

AUDIENCE = "tefu-payments"


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_whoami_accepts_a_token_for_this_service(client, token):
    response = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token(role='auditor', region='420000', audiences=(AUDIENCE,))}"}
    )
    assert response.status_code == 200
    assert response.json()["region_name"] == "湖北省"


async def test_whoami_refuses_a_token_for_another_service(client, token):
    response = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token(role='auditor', audiences=('tefu-registry',))}"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == f"token is not meant for this service (audience {AUDIENCE})"


def test_models_match_migrations(database_url):
    assert schema_drift(database_url, Base.metadata) == []
