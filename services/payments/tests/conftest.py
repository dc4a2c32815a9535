"""Tests of the payments service use the shared fixtures of tefu_common.testing."""

from pathlib import Path

import pytest

from tefu_payments.main import create_app
from tefu_payments.settings import PaymentsSettings
from tefu_common.testing import ServiceUnderTest


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], PaymentsSettings, create_app)
