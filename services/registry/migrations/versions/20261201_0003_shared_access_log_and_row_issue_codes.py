"""The access log takes the suite's shared columns; import row issues carry codes.

- access_log: ``institution`` (the hospital or agency a machine client acted for) and a nullable
  ``region_code`` (the shared columns of ``tefu_common.access_log.AccessLogColumns``).
- import_row_issue: a stable ``code`` and the ``problems`` of the row (column, code, Chinese and
  English), so a report can be read in either language; ``reason`` stays the Chinese summary
  written to the rejected-rows file.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as table:
        table.add_column(sa.Column("institution", sa.String(length=64), nullable=True))
        table.alter_column("region_code", existing_type=sa.String(length=12), nullable=True)
        table.create_index(op.f("ix_access_log_institution"), ["institution"], unique=False)
    with op.batch_alter_table("import_row_issue") as table:
        # Rows reported before codes existed are "row-invalid" (rejected) or "already-registered".
        table.add_column(sa.Column("code", sa.String(length=64), nullable=False, server_default="row-invalid"))
        table.add_column(sa.Column("problems", sa.JSON(), nullable=True))
    op.execute("UPDATE import_row_issue SET code = 'already-registered' WHERE outcome = 'duplicate'")
    with op.batch_alter_table("import_row_issue") as table:
        table.alter_column("code", existing_type=sa.String(length=64), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("import_row_issue") as table:
        table.drop_column("problems")
        table.drop_column("code")
    op.execute("DELETE FROM access_log WHERE region_code IS NULL")
    with op.batch_alter_table("access_log") as table:
        table.drop_index(op.f("ix_access_log_institution"))
        table.alter_column("region_code", existing_type=sa.String(length=12), nullable=False)
        table.drop_column("institution")
