"""A region's payment schedule: monthly, quarterly or yearly, and the benefits paid otherwise.

The national rules leave the rhythm of payment to local government ("按月、按季或按年发放，由各地确定").
A region without a schedule of its own pays as the nearest region above it that has one; with
none at all, monthly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_payments.database import Base

FREQUENCIES = ("monthly", "quarterly", "yearly")


class PaymentSchedule(Base):
    __tablename__ = "payment_schedule"
    __table_args__ = (CheckConstraint("frequency IN ('monthly', 'quarterly', 'yearly')", name="frequency"),)

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10))
    # Benefits this region pays at another frequency than its own: {benefit code: frequency}.
    benefit_frequencies: Mapped[dict[str, str]] = mapped_column(JSON)
    basis: Mapped[str | None] = mapped_column(String(200))  # the local document that sets it
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
