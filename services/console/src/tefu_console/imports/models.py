"""The imports uploaded here. The registry has no list of imports, so the console keeps one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_console.database import Base


class Upload(Base):
    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(12), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
