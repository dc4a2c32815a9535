"""Payments: the access log takes the columns every service's log shares (institution indexed,
region nullable for reads that found nothing with a region).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as table:
        table.alter_column("region_code", existing_type=sa.String(length=12), nullable=True)
        table.create_index(op.f("ix_access_log_institution"), ["institution"], unique=False)


def downgrade() -> None:
    op.execute("UPDATE access_log SET region_code = '000000' WHERE region_code IS NULL")
    with op.batch_alter_table("access_log") as table:
        table.drop_index(op.f("ix_access_log_institution"))
        table.alter_column("region_code", existing_type=sa.String(length=12), nullable=False)
