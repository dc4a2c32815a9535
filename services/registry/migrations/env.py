"""Alembic environment of the registry."""

from tefu_common.migrations import run_env
from tefu_registry.models import Base
from tefu_registry.settings import RegistrySettings

run_env(target_metadata=Base.metadata, default_url=RegistrySettings().database_url)
