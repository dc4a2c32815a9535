"""The access log of personal data: one entry per read, and the people a read named one by one.

A disbursement file or a return file covers a whole batch (a million people, perhaps): its entry
names the batch. A page of a batch's lines or a person's payment history names the people shown,
in ``access_log_member``, so that an auditor can ask who saw a given person's data.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.access_chain import AccessChain, Members, chain_head_table
from tefu_common.access_log import AccessLog, AccessLogColumns
from tefu_payments.database import Base

WHOLE_BATCH_ACTIONS = ("file_pull", "return_post")


class AccessLogEntry(AccessLogColumns, Base):
    __tablename__ = "access_log"

    action: Mapped[str] = mapped_column(String(24))  # file_pull | return_post | batch_lines | batch_skipped | payment_history
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"), index=True)
    line_count: Mapped[int] = mapped_column(Integer)
    shown: Mapped[str] = mapped_column(String(200))  # which personal data, in full or masked
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the file pulled or posted
    note: Mapped[str | None] = mapped_column(String(200))


class AccessLogMember(Base):
    """A person whose data an entry showed (pages of lines, payment histories)."""

    __tablename__ = "access_log_member"

    # No foreign key: the log is partitioned by month on PostgreSQL, where a key must hold the
    # month. The rows are written with their entry, in its transaction (access_log/reads.py).
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


PAYMENTS_LOG = AccessLog(AccessLogEntry)
CHAIN_HEAD = chain_head_table(Base.metadata)
# An entry's link covers the people it named: removing one of its members breaks the chain too.
PAYMENTS_CHAIN = AccessChain(AccessLogEntry.__table__, CHAIN_HEAD,
                             members=Members(AccessLogMember.__table__, "entry_id", "member_id"))
