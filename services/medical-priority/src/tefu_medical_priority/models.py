"""The medical-priority service's declarative base; every table of the service hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# Every model module, so that importing the base gives Alembic and the schema check all tables.
from tefu_medical_priority.access_log import models as _access_log  # noqa: E402,F401
from tefu_medical_priority.cards import models as _cards  # noqa: E402,F401
from tefu_medical_priority.hospitals import models as _hospitals  # noqa: E402,F401
from tefu_medical_priority.sync import models as _sync  # noqa: E402,F401
from tefu_medical_priority.visits import models as _visits  # noqa: E402,F401
