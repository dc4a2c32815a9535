"""The supervision service's first table: the reports it produced, kept as they were.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("produced_by", sa.String(128), nullable=False),
        sa.Column("headline", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("scoresheet", sa.JSON(), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_report")),
    )
    op.create_index("ix_supervision_report_region_period", "supervision_report", ["region_code", "period", "id"])


def downgrade() -> None:
    op.drop_index("ix_supervision_report_region_period", table_name="supervision_report")
    op.drop_table("supervision_report")
