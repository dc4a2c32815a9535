"""Every table of the supervision service, for Alembic (``migrations/env.py``) and the schema-drift test."""

from tefu_supervision.database import Base
from tefu_supervision.reports.models import SupervisionReport

__all__ = ["Base", "SupervisionReport"]
