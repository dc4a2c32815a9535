"""Payments: the access log of personal data (file pulls, return files, pages of lines, histories).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("institution", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("shown", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_access_log_batch_id_batch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    for column in ("at", "subject", "region_code", "batch_id"):
        op.create_index(op.f(f"ix_access_log_{column}"), "access_log", [column], unique=False)
    op.create_table(
        "access_log_member",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["access_log.id"], name=op.f("fk_access_log_member_entry_id_access_log")),
        sa.PrimaryKeyConstraint("entry_id", "member_id", name=op.f("pk_access_log_member")),
    )
    op.create_index(op.f("ix_access_log_member_member_id"), "access_log_member", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("access_log_member")
    op.drop_table("access_log")
