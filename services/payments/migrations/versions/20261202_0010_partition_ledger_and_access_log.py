"""On PostgreSQL the ledger (``ledger_line``) is partitioned by pay period and the access log
(``access_log``) by month of China's calendar; SQLite keeps plain tables with the same keys.

The ledger, by ``period_key``, a year a partition: ``ledger_line_p2026`` holds the keys from
``'2026'`` to ``'2027'``, that is the yearly key 2026 and every month 2026-01 … 2026-12, so a
batch and its arrears (the months before its period) are in one or two partitions and a year is
archived whole once it is paid. One-off payments (key ``once``) are in ``ledger_line_pundated``.
The partitions of the years from 2007 (the programme's first, the earliest arrears a batch can
pay) to next year are made here, the coming years' at each start-up (tefu_common.partitions).

Every unique key of a partitioned table must hold the period, so:

- the entitlement key (payee, benefit, period) among pending and paid lines, which makes a second
  payment impossible, already does and is unchanged;
- the table's key is (id, period_key), both never null: on PostgreSQL the unique constraint
  ``uq_ledger_line_id_period_key`` (no other primary key, the ids stay unique by their sequence);
- a line carrying an earlier failed line names it by (``carries_line_id``, its own
  ``period_key``): the failed line is of the same entitlement, hence of the same period, and the
  foreign key is checked as before;
- a reference is unique within its period (it is made of the batch's id and a counter, so it is
  unique anyway; a bank's return quoting it is matched against every partition's index).

The access log, by ``at`` (the registry's way): key (id, at); ``access_log_member`` no longer has
a foreign key to it (a key of the entry without its month could not name a row of a partitioned
table): its rows are written with their entry, in the same transaction, and archived with it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from tefu_common.partitions import ahead, partition_statements, period_partition_statements, rebuild, years_ahead

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The programme began in 2007: a batch may pay arrears of any year since, each has its partition.
FIRST_YEAR = 2007
# The keys that name no year: ``once`` only ("oncf" is the first text after every "once…").
UNDATED = ("once", "oncf")
CARRIES = "fk_ledger_line_carries_line_id_ledger_line"
MEMBER_ENTRY = "fk_access_log_member_entry_id_access_log"
LEDGER_INDEXES = [
    "CREATE UNIQUE INDEX uq_ledger_line_entitlement ON ledger_line (payee_key, benefit, period_key) "
    "WHERE status IN ('pending', 'paid')",
    "CREATE INDEX ix_ledger_line_failed ON ledger_line (payee_key, benefit, period_key) WHERE status = 'failed'",
    "CREATE INDEX ix_ledger_line_batch_id ON ledger_line (batch_id)",
    "CREATE INDEX ix_ledger_line_member_id ON ledger_line (member_id)",
    "ALTER TABLE ledger_line ADD CONSTRAINT fk_ledger_line_batch_id_batch FOREIGN KEY (batch_id) REFERENCES batch(id)",
]
LOG_INDEXES = [f"CREATE INDEX ix_access_log_{column} ON access_log ({column})"
               for column in ("at", "batch_id", "institution", "region_code", "subject")] + [
    "ALTER TABLE access_log ADD CONSTRAINT fk_access_log_batch_id_batch FOREIGN KEY (batch_id) REFERENCES batch(id)"]


def _years(parent: str) -> list[str]:
    oldest = op.get_bind().scalar(sa.text("SELECT min(substr(period_key, 1, 4)) FROM ledger_line "
                                          "WHERE period_key ~ '^[0-9]{4}'"))
    first = min(int(oldest), FIRST_YEAR) if oldest else FIRST_YEAR
    return period_partition_statements("ledger_line", years_ahead(first), undated=UNDATED, of=parent)


def _months(parent: str) -> list[str]:
    oldest = op.get_bind().scalar(sa.text("SELECT min((at AT TIME ZONE 'Asia/Shanghai')::date) FROM access_log"))
    return partition_statements("access_log", ahead(oldest if isinstance(oldest, date) else None), of=parent)


def _carries_set_aside() -> None:
    """SQLite: a copy of the ledger refers to ``ledger_line`` by name, and dropping the old table
    under carried lines would break the foreign key: the carries wait aside meanwhile."""
    op.execute("CREATE TEMPORARY TABLE carried_lines AS SELECT id, carries_line_id FROM ledger_line "
               "WHERE carries_line_id IS NOT NULL")
    op.execute("UPDATE ledger_line SET carries_line_id = NULL WHERE carries_line_id IS NOT NULL")


def _carries_restored() -> None:
    op.execute("UPDATE ledger_line SET carries_line_id = (SELECT c.carries_line_id FROM carried_lines c "
               "WHERE c.id = ledger_line.id) WHERE id IN (SELECT id FROM carried_lines)")
    op.execute("DROP TABLE carried_lines")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _carries_set_aside()
        # Twice: the copy of the table refers to the table as it was, which must already have
        # the key (id, period_key) the new foreign key names.
        with op.batch_alter_table("ledger_line") as batch:
            batch.drop_constraint("uq_ledger_line_reference", type_="unique")
            batch.drop_constraint(CARRIES, type_="foreignkey")
            batch.create_unique_constraint("uq_ledger_line_id_period_key", ["id", "period_key"])
            batch.create_unique_constraint("uq_ledger_line_reference_period_key", ["reference", "period_key"])
        with op.batch_alter_table("ledger_line") as batch:
            batch.create_foreign_key(CARRIES, "ledger_line", ["carries_line_id", "period_key"], ["id", "period_key"])
        _carries_restored()
        with op.batch_alter_table("access_log_member") as batch:
            batch.drop_constraint(MEMBER_ENTRY, type_="foreignkey")
        return
    op.execute(f"ALTER TABLE ledger_line DROP CONSTRAINT {CARRIES}")
    rebuild(op, "ledger_line", partition_by="period_key", partitions=_years, key="", after=[
        "ALTER TABLE ledger_line ADD CONSTRAINT uq_ledger_line_id_period_key UNIQUE (id, period_key)",
        "ALTER TABLE ledger_line ADD CONSTRAINT uq_ledger_line_reference_period_key UNIQUE (reference, period_key)",
        *LEDGER_INDEXES,
        f"ALTER TABLE ledger_line ADD CONSTRAINT {CARRIES} FOREIGN KEY (carries_line_id, period_key) "
        "REFERENCES ledger_line (id, period_key)",
    ])
    op.execute(f"ALTER TABLE access_log_member DROP CONSTRAINT {MEMBER_ENTRY}")
    rebuild(op, "access_log", partition_by="at", partitions=_months, key="id, at", after=LOG_INDEXES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _carries_set_aside()
        with op.batch_alter_table("access_log_member") as batch:
            batch.create_foreign_key(MEMBER_ENTRY, "access_log", ["entry_id"], ["id"])
        with op.batch_alter_table("ledger_line") as batch:
            batch.drop_constraint(CARRIES, type_="foreignkey")
            batch.drop_constraint("uq_ledger_line_reference_period_key", type_="unique")
            batch.create_unique_constraint("uq_ledger_line_reference", ["reference"])
            batch.create_foreign_key(CARRIES, "ledger_line", ["carries_line_id"], ["id"])
        with op.batch_alter_table("ledger_line") as batch:
            batch.drop_constraint("uq_ledger_line_id_period_key", type_="unique")
        _carries_restored()
        return
    rebuild(op, "access_log", partition_by=None, partitions=_months, key="id", after=LOG_INDEXES)
    op.execute(f"ALTER TABLE access_log_member ADD CONSTRAINT {MEMBER_ENTRY} FOREIGN KEY (entry_id) "
               "REFERENCES access_log (id)")
    rebuild(op, "ledger_line", partition_by=None, partitions=_years, key="id", after=[
        "ALTER TABLE ledger_line ADD CONSTRAINT uq_ledger_line_reference UNIQUE (reference)",
        *LEDGER_INDEXES,
        f"ALTER TABLE ledger_line ADD CONSTRAINT {CARRIES} FOREIGN KEY (carries_line_id) REFERENCES ledger_line (id)",
    ])
