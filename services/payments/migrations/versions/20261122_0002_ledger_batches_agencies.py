"""Payments: agencies, batches with their transitions, and the ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('header_row', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency'))
    )
    op.create_index(op.f('ix_agency_region_code'), 'agency', ['region_code'], unique=False)

    op.create_table('batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('benefits', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('agency_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('prepared_by', sa.String(length=128), nullable=False),
    sa.Column('approved_by', sa.String(length=128), nullable=True),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_layout', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('approved_by IS NULL OR approved_by <> prepared_by', name=op.f('ck_batch_maker_checker')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_batch_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch')),
    sa.UniqueConstraint('prepared_by', 'idempotency_key', name=op.f('uq_batch_prepared_by_idempotency_key'))
    )
    op.create_index(op.f('ix_batch_agency_id'), 'batch', ['agency_id'], unique=False)
    op.create_index(op.f('ix_batch_region_code'), 'batch', ['region_code'], unique=False)
    op.create_index(op.f('ix_batch_status'), 'batch', ['status'], unique=False)

    op.create_table('batch_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_batch_transition_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_transition'))
    )
    op.create_index(op.f('ix_batch_transition_batch_id'), 'batch_transition', ['batch_id'], unique=False)

    op.create_table('ledger_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('payee_key', sa.String(length=24), nullable=False),
    sa.Column('benefit', sa.String(length=48), nullable=False),
    sa.Column('benefit_name', sa.String(length=80), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('carries_line_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.String(length=160), nullable=False),
    sa.Column('citation', sa.String(length=200), nullable=False),
    sa.Column('payee_name', sa.Text(), nullable=True),
    sa.Column('payee_id_number', sa.Text(), nullable=True),
    sa.Column('bank_name', sa.String(length=64), nullable=True),
    sa.Column('bank_account', sa.Text(), nullable=True),
    sa.Column('account_holder', sa.Text(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_ledger_line_batch_id_batch')),
    sa.ForeignKeyConstraint(['carries_line_id'], ['ledger_line.id'], name=op.f('fk_ledger_line_carries_line_id_ledger_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_line')),
    sa.UniqueConstraint('reference', name=op.f('uq_ledger_line_reference'))
    )
    op.create_index(op.f('ix_ledger_line_batch_id'), 'ledger_line', ['batch_id'], unique=False)
    op.create_index(op.f('ix_ledger_line_family_id'), 'ledger_line', ['family_id'], unique=False)
    op.create_index(op.f('ix_ledger_line_member_id'), 'ledger_line', ['member_id'], unique=False)
    op.create_index(op.f('ix_ledger_line_status'), 'ledger_line', ['status'], unique=False)
    op.create_index('uq_ledger_line_entitlement', 'ledger_line', ['payee_key', 'benefit', 'period_key'], unique=True, postgresql_where=sa.text("status IN ('pending', 'paid')"), sqlite_where=sa.text("status IN ('pending', 'paid')"))



def downgrade() -> None:
    op.drop_index('uq_ledger_line_entitlement', table_name='ledger_line', postgresql_where=sa.text("status IN ('pending', 'paid')"), sqlite_where=sa.text("status IN ('pending', 'paid')"))
    op.drop_index(op.f('ix_ledger_line_status'), table_name='ledger_line')
    op.drop_index(op.f('ix_ledger_line_member_id'), table_name='ledger_line')
    op.drop_index(op.f('ix_ledger_line_family_id'), table_name='ledger_line')
    op.drop_index(op.f('ix_ledger_line_batch_id'), table_name='ledger_line')

    op.drop_table('ledger_line')
    op.drop_index(op.f('ix_batch_transition_batch_id'), table_name='batch_transition')

    op.drop_table('batch_transition')
    op.drop_index(op.f('ix_batch_status'), table_name='batch')
    op.drop_index(op.f('ix_batch_region_code'), table_name='batch')
    op.drop_index(op.f('ix_batch_agency_id'), table_name='batch')

    op.drop_table('batch')
    op.drop_index(op.f('ix_agency_region_code'), table_name='agency')

    op.drop_table('agency')
