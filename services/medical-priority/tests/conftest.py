"""Tests of the medical-priority service use the shared fixtures of tefu_common.testing."""

from pathlib import Path

import pytest

from tefu_medical_priority.main import create_app
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_common.testing import ServiceUnderTest


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], MedicalPrioritySettings, create_app)
