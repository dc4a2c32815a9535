"""Payments: a ledger line keeps the catalogue version and the amount's status it was paid under.

- ``catalogue_version``: the content hash (16 hex characters) of the eligibility rules and the
  approved local values in force when the line was built. With ``rule_id`` it names exactly what
  the amount was computed from, so that an audit years later reproduces it.
- ``amount_status``: ``local`` (a local standard), ``national_minimum`` (only the national floor
  was configured) or ``unknown``.

Both stay null on lines written before: what they were built from was not recorded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding them rewrites no row, however large the ledger.
    op.add_column("ledger_line", sa.Column("catalogue_version", sa.String(length=16), nullable=True))
    op.add_column("ledger_line", sa.Column("amount_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("ledger_line", "amount_status")
    op.drop_column("ledger_line", "catalogue_version")
