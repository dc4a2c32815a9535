"""Payments: an agency that takes ISO 20022 credit transfers (pain.001) names the paying account.

``agency.iso20022``: for ``file_format = 'pain.001'``, the debtor of the transfers (the paying
unit's name and account, its bank's CNAPS code) and the initiating party, as JSON; null for the
other formats.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD/DROP COLUMN (SQLite has both): recreating ``agency`` would trip the batches'
    # foreign keys to it.
    op.add_column("agency", sa.Column("iso20022", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("agency", "iso20022")
