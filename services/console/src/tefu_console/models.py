"""Every table of the console, for Alembic (``migrations/env.py``) and the schema-drift test."""

from tefu_console.auth.models import ConsoleSession
from tefu_console.database import Base

__all__ = ["Base", "ConsoleSession"]
