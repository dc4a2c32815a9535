"""Review tasks: a bank's return that says a payee died (MD07) or that an account is closed or
wrong (AC04, AC01 …) opens a task for a clerk of the family's region (tefu_registry.reviews).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_task",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("family_id", sa.Integer(), sa.ForeignKey("family.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=False),
        sa.Column("reason_code", sa.String(8), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("source", "source_ref", "kind", name="uq_review_task_source"),
    )
    op.create_index("ix_review_task_family_id", "review_task", ["family_id"])
    op.create_index("ix_review_task_member_id", "review_task", ["member_id"])
    op.create_index("ix_review_task_region_status", "review_task", ["region_code", "status", "id"])


def downgrade() -> None:
    op.drop_table("review_task")
