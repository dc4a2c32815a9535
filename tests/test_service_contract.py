"""What every service offers, checked the same way on each (in-process, over ASGI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tefu_common.testing import app_client, migrated_database, mint_token
from tefu_eligibility.main import create_app as eligibility_app
from tefu_eligibility.settings import EligibilitySettings
from tefu_medical_priority.main import create_app as medical_priority_app
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_supervision.main import create_app as supervision_app
from tefu_supervision.settings import SupervisionSettings
from tefu_payments.main import create_app as payments_app
from tefu_payments.settings import PaymentsSettings
from tefu_registry.main import create_app as registry_app
from tefu_registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "registry": (RegistrySettings, registry_app, 8001),
    "eligibility": (EligibilitySettings, eligibility_app, 8002),
    "payments": (PaymentsSettings, payments_app, 8003),
    "medical-priority": (MedicalPrioritySettings, medical_priority_app, 8004),
    "supervision": (SupervisionSettings, supervision_app, 8005),
}


@pytest.fixture(params=list(SERVICES), scope="module")
def service(request, tmp_path_factory, keys_dir):
    name = request.param
    settings_class, create_app, port = SERVICES[name]
    with migrated_database(name.replace("-", "_"), tmp_path_factory.mktemp(name), ROOT / "services" / name / "alembic.ini") as url:
        values = {"environment": "test", "database_url": url, "auth": {"jwks_file": keys_dir / "issuer-jwks.json"}}
        if name == "registry":
            values["signing_key_file"] = keys_dir / "issuer-ed25519.pem"
        yield name, settings_class(**values), create_app, port


async def test_default_port(service):
    name, settings, _, port = service
    assert settings_class_port(name) == port


def settings_class_port(name: str) -> int:
    return SERVICES[name][0].model_fields["port"].default


async def test_health_readiness_metrics_docs(service):
    name, settings, create_app, _ = service
    async with app_client(create_app(settings, configure_logs=False)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).status_code == 200
        assert "tefu_http_requests_total" in (await client.get("/metrics")).text
        assert (await client.get("/docs")).status_code == 200
        assert "/v1/whoami" in (await client.get("/openapi.json")).json()["paths"]


async def test_whoami_for_this_service_only(service, signing_key):
    name, settings, create_app, _ = service
    audience = f"tefu-{name}"
    own = mint_token(signing_key, role="auditor", region="420000", audiences=(audience,))
    other = mint_token(signing_key, role="auditor", region="420000", audiences=("tefu-somewhere-else",))
    async with app_client(create_app(settings, configure_logs=False)) as client:
        accepted = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {own}"})
        refused = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {other}"})
        anonymous = await client.get("/v1/whoami")
    assert accepted.status_code == 200
    assert accepted.json()["region_name"] == "湖北省"
    assert refused.status_code == 401
    assert (refused.json()["code"], refused.json()["detail"]) == ("token-audience", f"令牌不是发给本服务的（受众应为 {audience}）")
    assert anonymous.status_code == 401
