"""The payments service's declarative base; every table of the service hangs off its metadata."""

from sqlalchemy.orm import DeclarativeBase

from tefu_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# Import the model modules so Alembic sees every table through Base.metadata.
from tefu_payments.access_log import models as _access_log  # noqa: E402,F401
from tefu_payments.agencies import models as _agencies  # noqa: E402,F401
from tefu_payments.batches import models as _batches  # noqa: E402,F401
from tefu_payments.schedules import models as _schedules  # noqa: E402,F401
