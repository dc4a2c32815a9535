"""The console's declarative base; its one table (sessions) hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
