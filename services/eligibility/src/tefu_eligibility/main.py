"""The eligibility application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_eligibility.settings import EligibilitySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The policy catalogue of Tefu (特扶): every jurisdiction's rules as dated data, evaluation of a family
on a date with the reasons, and bulk entitlements of a region for a period.

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`);
errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: EligibilitySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    return create_service_app(
        settings=settings or EligibilitySettings(),
        title="Tefu eligibility",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        configure_logs=configure_logs,
    )
