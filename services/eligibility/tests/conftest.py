"""Tests of the eligibility service use the shared fixtures of tefu_common.testing."""

from pathlib import Path

import pytest

from tefu_eligibility.main import create_app
from tefu_eligibility.settings import EligibilitySettings
from tefu_common.testing import ServiceUnderTest


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], EligibilitySettings, create_app)
