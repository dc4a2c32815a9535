"""On PostgreSQL, the lookup log (``lookup_log``, the service's access log: every read of a card)
becomes a table partitioned by month of China's calendar on ``at``, with a default partition and
the partitions of the months from the oldest row to twelve months ahead (the service makes further
months at each start-up: tefu_common.partitions). Rows are copied and the ids keep their sequence.

A partitioned table's primary key must hold the partition column: (id, at). Nothing refers to
the log by key. SQLite keeps a plain table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from tefu_common.partitions import ahead, partition_statements, rebuild

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "lookup_log"
INDEXES = [f"CREATE INDEX ix_lookup_log_{column} ON lookup_log ({column})"
           for column in ("at", "card_id", "institution", "region_code", "subject")]


def _months(parent: str) -> list[str]:
    oldest = op.get_bind().scalar(sa.text(f"SELECT min((at AT TIME ZONE 'Asia/Shanghai')::date) FROM {TABLE}"))
    return partition_statements(TABLE, ahead(oldest if isinstance(oldest, date) else None), of=parent)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    rebuild(op, TABLE, partition_by="at", partitions=_months, key="id, at", after=INDEXES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    rebuild(op, TABLE, partition_by=None, partitions=_months, key="id", after=INDEXES)
