"""The change log: the history of each family and, read in order, the suite's change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_registry.database import Base


class FamilyChange(Base):
    __tablename__ = "family_change"

    # The feed cursor. Rows are numbered in commit order (see changes.service.record_change).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    # Region of the family when the change was made, so scoping the feed needs no join.
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    # [{"field": ..., "old": ..., "new": ...}]; sensitive values appear only masked.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    request_id: Mapped[str | None] = mapped_column(String(128))
