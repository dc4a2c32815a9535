"""The access log of personal data (PIPL): one entry per read, and the families a read showed.

The columns every access log of the suite shares come from :class:`AccessLogColumns`. A read of
one family (a clerk opening its page) is one entry naming it (``family_id``). A read of several
(a page of the register, the facts stream's chunk of 2,500 families, a bulk identity read) is one
entry with ``family_id`` empty and one narrow row per family in ``access_log_family``, which also
keeps the family's region when it was read, so that auditors of a county see every read of their
families, whoever read them and whatever region the read covered. :data:`ACCESS_LOG` writes both,
and only repositories call it. :data:`ACCESS_CHAIN` seals each entry, with its families, into a hash
chain after it is committed.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.access_chain import AccessChain, Members, chain_head_table
from tefu_common.access_log import AccessLog, AccessLogColumns
from tefu_registry.database import Base


SEVERAL = text("family_id IS NULL")


class AccessLogEntry(AccessLogColumns, Base):
    __tablename__ = "access_log"

    # The family, when the read showed one; None: the families are in access_log_family.
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)



# The entries of several families, in id order (auditors.reads walks them): a few hundred a bulk
# pass, among all the reads of one family.
Index("ix_access_log_several", AccessLogEntry.id, postgresql_where=SEVERAL, sqlite_where=SEVERAL)


class AccessLogFamily(Base):
    """A family whose data an entry showed, with its region then (reads of several families)."""

    __tablename__ = "access_log_family"

    # No foreign key: the log is partitioned by month on PostgreSQL, where a key must hold the
    # month. The rows are written with their entry, in its transaction (tefu_common.access_log).
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    region_code: Mapped[str] = mapped_column(String(12))

    # An entry's families in an auditor's region: a range of this index (auditors.reads).
    __table_args__ = (Index("ix_access_log_family_entry_region", "entry_id", "region_code"),)


# Entries sealed before reads of several families had rows of their own have no families, and are
# hashed as they were then (without a members key).
FAMILIES = Members(AccessLogFamily.__table__, "entry_id", ("family_id", "region_code"), omit_empty=True)
ACCESS_LOG = AccessLog(AccessLogEntry, named=FAMILIES)
CHAIN_HEAD = chain_head_table(Base.metadata)
ACCESS_CHAIN = AccessChain(AccessLogEntry.__table__, CHAIN_HEAD, members=FAMILIES)
