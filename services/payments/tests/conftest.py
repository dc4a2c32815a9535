"""Tests of the payments service use the shared fixtures of tefu_common.testing."""

from pathlib import Path

import pytest
from pydantic import SecretStr

from tefu_payments.main import create_app
from tefu_payments.settings import PaymentsSettings
from tefu_common.testing import ServiceUnderTest, app_client


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], PaymentsSettings, create_app)


@pytest.fixture
async def cut_off(settings, service_under_test):
    """The app with the eligibility service and the registry out of reach: port 9 (discard) on
    localhost, where nothing listens and connections are refused at once."""
    own_client = settings.auth.model_copy(update={"token_url": "http://127.0.0.1:9/oauth/token",
                                                  "client_id": "payments", "client_secret": SecretStr("s")})
    moved = settings.model_copy(update={"eligibility_url": "http://127.0.0.1:9", "registry_url": "http://127.0.0.1:9",
                                        "http_retries": 0, "auth": own_client})
    async with app_client(service_under_test.create_app(moved, configure_logs=False)) as http:
        yield http
