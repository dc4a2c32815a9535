"""Payments: notices to the register (an outbox) and the count of payees held under review.

- ``register_notice``: a line a bank failed because the payee died (MD07) or the account is
  closed or wrong (AC04, AC01 …), to be delivered to the registry as a review task.
- ``batch.skipped_under_review``: payees a build left out because such a task is open.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(8), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.UniqueConstraint("reference", "kind", name="uq_register_notice_reference_kind"),
    )
    op.create_index("ix_register_notice_unsent", "register_notice", ["sent_at", "id"])
    op.create_index("ix_register_notice_region_code", "register_notice", ["region_code"])
    op.create_index("ix_register_notice_member_id", "register_notice", ["member_id"])
    # A plain ADD/DROP COLUMN (SQLite has both): recreating ``batch`` would trip the foreign keys
    # that point at it.
    op.add_column("batch", sa.Column("skipped_under_review", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("batch", "skipped_under_review")
    op.drop_table("register_notice")
