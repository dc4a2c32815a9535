"""The registry's declarative base; every table of the registry hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# Import the model modules so Alembic sees every table through Base.metadata.
from tefu_registry.oauth import models as _oauth_models  # noqa: E402,F401
