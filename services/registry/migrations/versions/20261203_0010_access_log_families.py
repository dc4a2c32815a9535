"""The registry's access log: a read of several families is one entry, with one narrow row per family
in ``access_log_family`` (the family and its region when it was read); ``access_log.family_id`` is
then empty, so it becomes nullable, and the entries of several are indexed apart. Entries already
there named one family each and stay as they are, sealed as they were
(tefu_registry.access_log.models).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSEALED = sa.text("chain_seq IS NULL")
SEVERAL = sa.text("family_id IS NULL")  # the entries of several families, walked by the auditors' listing


def _family_id_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # On the partitioned parent: every month's partition follows.
        op.alter_column("access_log", "family_id", existing_type=sa.Integer(), nullable=nullable)
        return
    # SQLite rebuilds the table for this; its partial index of the rows not sealed yet is made
    # again afterwards rather than left to the rebuild's reflection.
    op.drop_index("ix_access_log_unsealed", table_name="access_log")
    with op.batch_alter_table("access_log") as table:
        table.alter_column("family_id", existing_type=sa.Integer(), nullable=nullable)
    op.create_index("ix_access_log_unsealed", "access_log", ["id"], sqlite_where=UNSEALED)


def upgrade() -> None:
    op.create_table(
        "access_log_family",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "family_id", name=op.f("pk_access_log_family")),
    )
    op.create_index(op.f("ix_access_log_family_family_id"), "access_log_family", ["family_id"], unique=False)
    op.create_index("ix_access_log_family_entry_region", "access_log_family", ["entry_id", "region_code"], unique=False)
    _family_id_nullable(True)
    op.create_index("ix_access_log_several", "access_log", ["id"], postgresql_where=SEVERAL, sqlite_where=SEVERAL)


def downgrade() -> None:
    # Entries of several families cannot name one: they go, with their families.
    op.drop_index("ix_access_log_several", table_name="access_log")
    op.execute("DELETE FROM access_log WHERE family_id IS NULL")
    _family_id_nullable(False)
    op.drop_index("ix_access_log_family_entry_region", table_name="access_log_family")
    op.drop_index(op.f("ix_access_log_family_family_id"), table_name="access_log_family")
    op.drop_table("access_log_family")
