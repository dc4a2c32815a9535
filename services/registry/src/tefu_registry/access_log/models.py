"""The access log of personal data (PIPL): one row per family read, per request.

The columns every access log of the suite shares come from :class:`AccessLogColumns`; the
registry's rows also name the family whose data was shown. :data:`ACCESS_LOG` writes them, and
only repositories call it. :data:`ACCESS_CHAIN` seals them into a hash chain after they are committed.
"""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.access_chain import AccessChain, chain_head_table
from tefu_common.access_log import AccessLog, AccessLogColumns
from tefu_registry.database import Base


class AccessLogEntry(AccessLogColumns, Base):
    __tablename__ = "access_log"

    family_id: Mapped[int] = mapped_column(Integer, index=True)


ACCESS_LOG = AccessLog(AccessLogEntry)
CHAIN_HEAD = chain_head_table(Base.metadata)
ACCESS_CHAIN = AccessChain(AccessLogEntry.__table__, CHAIN_HEAD)
