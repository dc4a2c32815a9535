"""When each family was last checked on its own, so that a bulk pass over the register never
writes older facts over a fresher check.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('family_check',
    sa.Column('family_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('family_id', name=op.f('pk_family_check'))
    )


def downgrade() -> None:
    op.drop_table('family_check')
