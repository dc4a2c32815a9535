"""Every table of the eligibility service, for Alembic (``migrations/env.py``) and the schema-drift test.

Domain models import ``Base`` from ``tefu_eligibility.database``.
"""

from tefu_eligibility.database import Base
from tefu_eligibility.overlays.models import OverlayState, ParameterOverlay

__all__ = ["Base", "OverlayState", "ParameterOverlay"]
