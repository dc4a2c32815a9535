"""Tests of the supervision service use the shared fixtures of tefu_common.testing.

Here the other services are not running (their addresses refuse connections), which is how the
report behaves when a source is down; the report with the four services as real processes is
tested in the suite's cross-service tests (tests/test_supervision.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tefu_common.testing import ServiceUnderTest
from tefu_supervision.main import create_app
from tefu_supervision.settings import SupervisionSettings

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], SupervisionSettings, create_app)


@pytest.fixture
def settings(settings: SupervisionSettings) -> SupervisionSettings:
    return settings.model_copy(update={"registry_url": NOWHERE, "eligibility_url": NOWHERE, "payments_url": NOWHERE,
                                       "medical_priority_url": NOWHERE, "gather_timeout_seconds": 2.0})
