"""Registry tests use the shared fixtures of tefu_common.testing (database, keys, token, client)."""

from pathlib import Path

import pytest

from tefu_common.testing import ServiceUnderTest
from tefu_registry.main import create_app
from tefu_registry.settings import RegistrySettings


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], RegistrySettings, create_app)



@pytest.fixture(autouse=True)
def _eligibility_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry alone: nothing listens on the discard port, so no test reaches a running suite's
    eligibility service (the duties are tested across real processes in the top-level tests/)."""
    monkeypatch.setenv("TEFU_REGISTRY_ELIGIBILITY_URL", "http://127.0.0.1:9")
