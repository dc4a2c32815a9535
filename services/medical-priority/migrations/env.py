"""Alembic environment of the medical-priority service."""

from tefu_common.migrations import run_env
from tefu_medical_priority.models import Base
from tefu_medical_priority.settings import MedicalPrioritySettings

run_env(target_metadata=Base.metadata, default_url=MedicalPrioritySettings().database_url)
