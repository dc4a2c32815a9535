"""The lookup log of medical-priority: each row's place and hash in the log's hash chain (``chain_seq``, ``chain_hash``),
and the chain's head (``access_log_chain_head``); see tefu_common.access_chain.migrate_to_chain.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from tefu_common.access_chain import migrate_from_chain, migrate_to_chain

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migrate_to_chain("lookup_log")


def downgrade() -> None:
    migrate_from_chain("lookup_log")
