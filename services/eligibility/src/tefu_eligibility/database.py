"""The eligibility service's declarative base; every table of the service hangs off its metadata.

Domain models import ``Base`` from here; ``tefu_eligibility.models`` gathers them all for Alembic.
"""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
