"""Every table of the supervision service, for Alembic (``migrations/env.py``) and the schema-drift test."""

from tefu_supervision.database import Base
from tefu_supervision.reports.models import SupervisionReport
from tefu_supervision.returns.models import SupervisionReturn

__all__ = ["Base", "SupervisionReport", "SupervisionReturn"]
