"""Every table of the service, gathered for Alembic (migrations/env.py) and the schema check.

Nothing in the service imports this module: domain models import ``Base`` from
``tefu_medical_priority.database``.
"""

from tefu_medical_priority.access_log import models as _access_log  # noqa: F401
from tefu_medical_priority.cards import models as _cards  # noqa: F401
from tefu_medical_priority.database import Base
from tefu_medical_priority.hospitals import models as _hospitals  # noqa: F401
from tefu_medical_priority.liaisons import models as _liaisons  # noqa: F401
from tefu_medical_priority.sync import models as _sync  # noqa: F401
from tefu_medical_priority.visits import models as _visits  # noqa: F401

__all__ = ["Base"]
