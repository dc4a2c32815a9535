"""The desk's copy of each family's current liaisons and of whether its parents are alive, and the
follower's mark for a family whose liaisons changed; the change feed is read again from its
start, so that liaisons assigned (and deaths recorded) before this version reach the desk too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('family_liaison',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=128), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_liaison'))
    )
    with op.batch_alter_table('family_liaison', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_liaison_family_id'), ['family_id'], unique=False)

    op.create_table('family_parents',
    sa.Column('family_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('mother_alive', sa.Boolean(), nullable=True),
    sa.Column('father_alive', sa.Boolean(), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('family_id', name=op.f('pk_family_parents'))
    )
    with op.batch_alter_table('pending_family', schema=None) as batch_op:
        batch_op.add_column(sa.Column('liaisons_due', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Read the feed again from its start: every family's liaisons and parents are fetched once
    # (a replay only queues families; what is already right stays as it is). Every family changed
    # since the beginning is checked again, as on a new installation.
    op.execute("UPDATE feed_cursor SET cursor = 0")


def downgrade() -> None:
    with op.batch_alter_table('pending_family', schema=None) as batch_op:
        batch_op.drop_column('liaisons_due')
    op.drop_table('family_parents')
    with op.batch_alter_table('family_liaison', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_liaison_family_id'))
    op.drop_table('family_liaison')
