"""The statistics returns supervision produced (Foshan's half-yearly 附件5 and 附件6), kept as they were.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(64), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("produced_by", sa.String(128), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_return")),
    )
    op.create_index("ix_supervision_return_region_form_period", "supervision_return",
                    ["region_code", "return_id", "period", "id"])


def downgrade() -> None:
    op.drop_index("ix_supervision_return_region_form_period", table_name="supervision_return")
    op.drop_table("supervision_return")
