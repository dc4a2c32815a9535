"""The family register: families, members, life events, change log, access log, liaisons, imports.

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
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    op.create_index(op.f('ix_access_log_at'), 'access_log', ['at'], unique=False)
    op.create_index(op.f('ix_access_log_family_id'), 'access_log', ['family_id'], unique=False)
    op.create_index(op.f('ix_access_log_region_code'), 'access_log', ['region_code'], unique=False)
    op.create_index(op.f('ix_access_log_subject'), 'access_log', ['subject'], unique=False)
    op.create_table('family',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('registered_region_code', sa.String(length=12), nullable=False),
    sa.Column('hukou_type', sa.String(length=8), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('honor_certificate_no', sa.String(length=64), nullable=True),
    sa.Column('honor_certificate_date', sa.Date(), nullable=True),
    sa.Column('assistance_certificate_no', sa.String(length=64), nullable=True),
    sa.Column('assistance_certificate_date', sa.Date(), nullable=True),
    sa.Column('special_family', sa.Boolean(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_family_external_ref'))
    )
    op.create_index(op.f('ix_family_region_code'), 'family', ['region_code'], unique=False)
    op.create_index(op.f('ix_family_special_family'), 'family', ['special_family'], unique=False)
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('accepted_rows', sa.Integer(), nullable=False),
    sa.Column('duplicate_rows', sa.Integer(), nullable=False),
    sa.Column('rejected_rows', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job')),
    sa.UniqueConstraint('region_code', 'file_sha256', name=op.f('uq_import_job_region_code_file_sha256'))
    )
    op.create_table('family_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_family_change_family_id_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_change'))
    )
    op.create_index(op.f('ix_family_change_family_id'), 'family_change', ['family_id'], unique=False)
    op.create_index(op.f('ix_family_change_region_code'), 'family_change', ['region_code'], unique=False)
    op.create_table('import_row_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('column', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('existing_family_id', sa.Integer(), nullable=True),
    sa.Column('raw_row', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_row_issue_job_id_import_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_issue'))
    )
    op.create_index(op.f('ix_import_row_issue_job_id'), 'import_row_issue', ['job_id'], unique=False)
    op.create_table('liaison',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=128), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('assigned_by', sa.String(length=128), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_liaison_family_id_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_liaison'))
    )
    op.create_index(op.f('ix_liaison_family_id'), 'liaison', ['family_id'], unique=False)
    op.create_table('life_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('member_role', sa.String(length=12), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('certificate_no', sa.Text(), nullable=True),
    sa.Column('corrects_event_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['corrects_event_id'], ['life_event.id'], name=op.f('fk_life_event_corrects_event_id_life_event')),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_life_event_family_id_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_life_event'))
    )
    op.create_index(op.f('ix_life_event_family_id'), 'life_event', ['family_id'], unique=False)
    op.create_index(op.f('ix_life_event_kind'), 'life_event', ['kind'], unique=False)
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_index', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.Text(), nullable=True),
    sa.Column('id_number_index', sa.String(length=64), nullable=True),
    sa.Column('id_number_last4', sa.String(length=4), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=6), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('death_date', sa.Date(), nullable=True),
    sa.Column('adopted', sa.Boolean(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('bank_name', sa.String(length=64), nullable=True),
    sa.Column('bank_account', sa.Text(), nullable=True),
    sa.Column('bank_account_holder', sa.Text(), nullable=True),
    sa.Column('in_resident_pension', sa.Boolean(), nullable=False),
    sa.Column('monthly_basic_pension', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_member_family_id_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member'))
    )
    op.create_index(op.f('ix_member_family_id'), 'member', ['family_id'], unique=False)
    op.create_index(op.f('ix_member_id_number_index'), 'member', ['id_number_index'], unique=False)
    op.create_index(op.f('ix_member_name_index'), 'member', ['name_index'], unique=False)
    op.create_index('uq_member_parent_id_number', 'member', ['id_number_index'], unique=True, postgresql_where=sa.text("role IN ('mother', 'father')"), sqlite_where=sa.text("role IN ('mother', 'father')"))
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('festival', sa.String(length=16), nullable=True),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('contacted_by', sa.String(length=64), nullable=False),
    sa.Column('liaison_id', sa.Integer(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('help_given', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_contact_family_id_family')),
    sa.ForeignKeyConstraint(['liaison_id'], ['liaison.id'], name=op.f('fk_contact_liaison_id_liaison')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    op.create_index(op.f('ix_contact_contacted_on'), 'contact', ['contacted_on'], unique=False)
    op.create_index(op.f('ix_contact_family_id'), 'contact', ['family_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contact_family_id'), table_name='contact')
    op.drop_index(op.f('ix_contact_contacted_on'), table_name='contact')
    op.drop_table('contact')
    op.drop_index('uq_member_parent_id_number', table_name='member', postgresql_where=sa.text("role IN ('mother', 'father')"), sqlite_where=sa.text("role IN ('mother', 'father')"))
    op.drop_index(op.f('ix_member_name_index'), table_name='member')
    op.drop_index(op.f('ix_member_id_number_index'), table_name='member')
    op.drop_index(op.f('ix_member_family_id'), table_name='member')
    op.drop_table('member')
    op.drop_index(op.f('ix_life_event_kind'), table_name='life_event')
    op.drop_index(op.f('ix_life_event_family_id'), table_name='life_event')
    op.drop_table('life_event')
    op.drop_index(op.f('ix_liaison_family_id'), table_name='liaison')
    op.drop_table('liaison')
    op.drop_index(op.f('ix_import_row_issue_job_id'), table_name='import_row_issue')
    op.drop_table('import_row_issue')
    op.drop_index(op.f('ix_family_change_region_code'), table_name='family_change')
    op.drop_index(op.f('ix_family_change_family_id'), table_name='family_change')
    op.drop_table('family_change')
    op.drop_table('import_job')
    op.drop_index(op.f('ix_family_special_family'), table_name='family')
    op.drop_index(op.f('ix_family_region_code'), table_name='family')
    op.drop_table('family')
    op.drop_index(op.f('ix_access_log_subject'), table_name='access_log')
    op.drop_index(op.f('ix_access_log_region_code'), table_name='access_log')
    op.drop_index(op.f('ix_access_log_family_id'), table_name='access_log')
    op.drop_index(op.f('ix_access_log_at'), table_name='access_log')
    op.drop_table('access_log')
