"""Every table of the registry, for Alembic (``migrations/env.py``) and the schema-drift test.

Importing this module imports every domain's models, so ``Base.metadata`` is complete. Nothing in
the service imports it: domain models import :class:`~tefu_registry.database.Base` themselves.
"""

from tefu_registry.access_log import models as _access_log  # noqa: F401
from tefu_registry.accounts import models as _accounts  # noqa: F401
from tefu_registry.changes import models as _changes  # noqa: F401
from tefu_registry.database import Base
from tefu_registry.events import models as _events  # noqa: F401
from tefu_registry.families import models as _families  # noqa: F401
from tefu_registry.families import review_tasks as _review_tasks  # noqa: F401
from tefu_registry.imports import models as _imports  # noqa: F401
from tefu_registry.liaisons import models as _liaisons  # noqa: F401
from tefu_registry.oauth import models as _oauth  # noqa: F401

__all__ = ["Base"]
