"""Payments' access log (its entries; the people in ``access_log_member`` are covered by each entry's hash): each row's place and hash in the log's hash chain (``chain_seq``, ``chain_hash``),
and the chain's head (``access_log_chain_head``); see tefu_common.access_chain.migrate_to_chain.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from tefu_common.access_chain import migrate_from_chain, migrate_to_chain

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migrate_to_chain("access_log")


def downgrade() -> None:
    migrate_from_chain("access_log")
