"""The service's declarative base: every table of supervision hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
