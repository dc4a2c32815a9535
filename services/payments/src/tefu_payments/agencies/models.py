"""An agent bank (代理发放机构): who it is, where it pays, and the file format it takes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_payments.database import Base


class Agency(Base):
    __tablename__ = "agency"

    # The agency's code: the institution id in its machine client's token.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    file_format: Mapped[str] = mapped_column(String(8))  # csv | xlsx | fixed | pain.001
    encoding: Mapped[str] = mapped_column(String(8))  # utf-8 | gbk (csv and fixed-width)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{field, header, width?}]
    header_row: Mapped[bool] = mapped_column(Boolean, default=True)
    summary: Mapped[str] = mapped_column(String(8))  # none | header | trailer: count and total
    # For pain.001: the debtor (paying unit, account, its bank's CNAPS code) and initiating party.
    iso20022: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
