"""Alembic environment of the supervision service."""

from tefu_common.migrations import run_env
from tefu_supervision.models import Base
from tefu_supervision.settings import SupervisionSettings

run_env(target_metadata=Base.metadata, default_url=SupervisionSettings().database_url)
