"""Payments: each region's payment schedule (monthly, quarterly, yearly); a batch keeps its frequency.

Batches built before know their frequency from their period's shape (2020-06, 2020-Q2, 2020).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_schedule",
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("benefit_frequencies", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("frequency IN ('monthly', 'quarterly', 'yearly')", name=op.f("ck_payment_schedule_frequency")),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_payment_schedule")),
    )
    # Added in place with a default, not by rebuilding the table: SQLite could not drop the old
    # batch table while ledger lines refer to it. The default serves only this step (SQLite keeps
    # it, PostgreSQL drops it); the service always says the frequency.
    op.add_column("batch", sa.Column("frequency", sa.String(length=10), nullable=False, server_default="monthly"))
    op.execute("UPDATE batch SET frequency = CASE WHEN period LIKE '%-Q%' THEN 'quarterly' "
               "WHEN length(period) = 4 THEN 'yearly' ELSE 'monthly' END")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("batch", "frequency", server_default=None)


def downgrade() -> None:
    op.drop_column("batch", "frequency")
    op.drop_table("payment_schedule")
