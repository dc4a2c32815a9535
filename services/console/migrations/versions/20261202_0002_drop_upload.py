"""Console: the uploads table goes; the 导入 page lists the registry's own import jobs.

The console kept which imports were uploaded through it because the registry had no list of
imports; it has one now (GET /v1/imports, scoped to the person's region), which also shows the
imports made through the API or by colleagues. The console again holds nothing but sessions.

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
    op.drop_index(op.f("ix_upload_region"), table_name="upload")
    op.drop_index(op.f("ix_upload_import_id"), table_name="upload")
    op.drop_table("upload")


def downgrade() -> None:
    # The table comes back empty: the registry's list is the record of every import.
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
    )
    op.create_index(op.f("ix_upload_import_id"), "upload", ["import_id"])
    op.create_index(op.f("ix_upload_region"), "upload", ["region"])
