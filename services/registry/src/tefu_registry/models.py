"""The registry's declarative base; every table of the registry hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# Import the model modules so Alembic sees every table through Base.metadata.
from tefu_registry.access_log import models as _access_log  # noqa: E402,F401
from tefu_registry.changes import models as _changes  # noqa: E402,F401
from tefu_registry.events import models as _events  # noqa: E402,F401
from tefu_registry.families import models as _families  # noqa: E402,F401
from tefu_registry.imports import models as _imports  # noqa: E402,F401
from tefu_registry.liaisons import models as _liaisons  # noqa: E402,F401
from tefu_registry.oauth import models as _oauth  # noqa: E402,F401
