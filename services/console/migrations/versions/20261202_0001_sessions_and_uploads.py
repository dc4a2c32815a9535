"""Console: server-side sessions, and the imports uploaded through the console.

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
        "console_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pending_state", sa.String(length=64), nullable=True),
        sa.Column("pending_verifier", sa.String(length=128), nullable=True),
        sa.Column("return_to", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=12), nullable=True),
        sa.Column("region_name", sa.String(length=64), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_session")),
    )
    op.create_index(op.f("ix_console_session_last_seen_at"), "console_session", ["last_seen_at"])
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


def downgrade() -> None:
    op.drop_index(op.f("ix_upload_region"), table_name="upload")
    op.drop_index(op.f("ix_upload_import_id"), table_name="upload")
    op.drop_table("upload")
    op.drop_index(op.f("ix_console_session_last_seen_at"), table_name="console_session")
    op.drop_table("console_session")
