"""The lookup log takes the suite's shared access-log columns: wider endpoint, institution and
request id, and an index on who read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lookup_log', schema=None) as batch_op:
        batch_op.alter_column('institution', existing_type=sa.String(length=32), type_=sa.String(length=64),
                              existing_nullable=True)
        batch_op.alter_column('endpoint', existing_type=sa.String(length=64), type_=sa.String(length=200),
                              existing_nullable=False)
        batch_op.alter_column('request_id', existing_type=sa.String(length=64), type_=sa.String(length=128),
                              existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_lookup_log_subject'), ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lookup_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_log_subject'))
        batch_op.alter_column('request_id', existing_type=sa.String(length=128), type_=sa.String(length=64),
                              existing_nullable=True)
        batch_op.alter_column('endpoint', existing_type=sa.String(length=200), type_=sa.String(length=64),
                              existing_nullable=False)
        batch_op.alter_column('institution', existing_type=sa.String(length=64), type_=sa.String(length=32),
                              existing_nullable=True)
