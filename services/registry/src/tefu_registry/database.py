"""The registry's declarative base; every table of the registry hangs off its metadata.

Domain models import :class:`Base` from here. ``tefu_registry.models`` gathers them all for
Alembic and the schema-drift test, and nothing else imports it.
"""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
