"""The medical-priority application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tefu_common.app import create_service_app
from tefu_medical_priority.settings import MedicalPrioritySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Medical priority of Tefu (特扶): priority cards and signed QR e-cards, the lookup hospital HIS
systems call at registration, and the visit log.

Every `/v1` route needs a bearer token from the registry's `POST /oauth/token` (or `make token`);
errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: MedicalPrioritySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    return create_service_app(
        settings=settings or MedicalPrioritySettings(),
        title="Tefu medical priority",
        description=DESCRIPTION,
        version="0.1.0",
        migrations_dir=MIGRATIONS,
        configure_logs=configure_logs,
    )
