"""Eligibility: parameter overlays (dated values a region's admins set, maker-checker) and their state counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
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
        "parameter_overlay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("parameter", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("proposed_valid_to", sa.Date(), nullable=True),
        sa.Column("document", sa.String(length=100), nullable=False),
        sa.Column("clause", sa.String(length=50), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('proposed', 'approved', 'rejected', 'withdrawn', 'superseded')",
                           name=op.f("ck_parameter_overlay_status")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_parameter_overlay_period")),
        sa.CheckConstraint("value > 0", name=op.f("ck_parameter_overlay_value_positive")),
        sa.CheckConstraint("decided_by IS NULL OR status NOT IN ('approved', 'rejected') OR decided_by <> proposed_by",
                           name=op.f("ck_parameter_overlay_maker_checker")),
        sa.ForeignKeyConstraint(["replaced_by_id"], ["parameter_overlay.id"],
                                name=op.f("fk_parameter_overlay_replaced_by_id_parameter_overlay")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parameter_overlay")),
    )
    op.create_index("ix_parameter_overlay_key", "parameter_overlay", ["region_code", "parameter", "status"])
    op.create_index("uq_parameter_overlay_pending", "parameter_overlay", ["region_code", "parameter"], unique=True,
                    postgresql_where=sa.text("status = 'proposed'"), sqlite_where=sa.text("status = 'proposed'"))
    op.create_table(
        "overlay_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overlay_state")),
    )


def downgrade() -> None:
    op.drop_table("overlay_state")
    op.drop_index("uq_parameter_overlay_pending", table_name="parameter_overlay")
    op.drop_index("ix_parameter_overlay_key", table_name="parameter_overlay")
    op.drop_table("parameter_overlay")
