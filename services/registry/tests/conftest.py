"""Registry tests use the shared fixtures of tefu_common.testing (database, keys, token, client)."""

from pathlib import Path

import pytest

from tefu_common.testing import ServiceUnderTest
from tefu_registry.main import create_app
from tefu_registry.settings import RegistrySettings


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], RegistrySettings, create_app)

