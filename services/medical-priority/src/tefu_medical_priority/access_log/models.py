"""The lookup log: every time a hospital (or anyone) read a card, one row (PIPL).

The shared columns (when, who, for which hospital, through which endpoint, the card's region,
the request id) are the suite's (:class:`tefu_common.access_log.AccessLogColumns`); a row here
adds how the card was found, which card it was and what the reader learnt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.access_chain import AccessChain, chain_head_table
from tefu_common.access_log import AccessLog, AccessLogColumns
from tefu_common.db import UtcDateTime
from tefu_medical_priority.database import Base


class LookupLogEntry(AccessLogColumns, Base):
    __tablename__ = "lookup_log"

    # card_no | qr | id_number (a hospital desk); record | list | history | ecard (a clerk or inspector)
    how: Mapped[str] = mapped_column(String(12))
    card_id: Mapped[int | None] = mapped_column(Integer, index=True)  # None: the lookup matched no card
    outcome: Mapped[str] = mapped_column(String(12))  # valid | invalid | not_found | rate_limited


lookup_log = AccessLog(LookupLogEntry)
"""Writes rows of the lookup log (in a request's transaction, or through the desk's group commit)."""
CHAIN_HEAD = chain_head_table(Base.metadata)
lookup_chain = AccessChain(LookupLogEntry.__table__, CHAIN_HEAD)
"""Seals the rows of the lookup log into a hash chain once they are committed."""


class LookupQuota(Base):
    """Lookups by name and ID number per hospital and minute: the rate limit, shared by every replica."""

    __tablename__ = "lookup_quota"

    hospital_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
