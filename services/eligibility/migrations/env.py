"""Alembic environment of the eligibility service."""

from tefu_common.migrations import run_env
from tefu_eligibility.models import Base
from tefu_eligibility.settings import EligibilitySettings

run_env(target_metadata=Base.metadata, default_url=EligibilitySettings().database_url)
