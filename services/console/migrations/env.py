"""Alembic environment of the console."""

from tefu_common.migrations import run_env
from tefu_console.models import Base
from tefu_console.settings import ConsoleSettings

run_env(target_metadata=Base.metadata, default_url=ConsoleSettings().database_url)
