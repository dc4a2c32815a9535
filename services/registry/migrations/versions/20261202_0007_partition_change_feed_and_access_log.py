"""On PostgreSQL, the change feed (``family_change``, by ``occurred_at``) and the access log
(``access_log``, by ``at``) become tables partitioned by month of China's calendar, with a default
partition and the partitions of the months from the oldest row to twelve months ahead (the service
makes further months at each start-up: tefu_common.partitions). Rows are copied into the new table
and the ids keep their sequence, so the feed's positions do not change.

A partitioned table's primary key must hold the partition column: (id, occurred_at) and (id, at).
Nothing refers to either table by key. SQLite keeps plain tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from tefu_common.partitions import ahead, partition_statements

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (partition column, indexes (name, columns), foreign keys (name, column, target))
TABLES = {
    "family_change": ("occurred_at", [("ix_family_change_family_id", "family_id"),
                                      ("ix_family_change_region_code", "region_code")],
                      [("fk_family_change_family_id_family", "family_id", "family(id)")]),
    "access_log": ("at", [("ix_access_log_at", "at"), ("ix_access_log_family_id", "family_id"),
                          ("ix_access_log_institution", "institution"), ("ix_access_log_region_code", "region_code"),
                          ("ix_access_log_subject", "subject")], []),
}


def _rebuild(table: str, *, partitioned: bool) -> None:
    column, indexes, foreign_keys = TABLES[table]
    new = f"{table}_rebuilt"
    partition = f" PARTITION BY RANGE ({column})" if partitioned else ""
    op.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS){partition}")
    if partitioned:
        oldest = op.get_bind().scalar(sa.text(
            f"SELECT min(({column} AT TIME ZONE 'Asia/Shanghai')::date) FROM {table}"))
        for statement in partition_statements(new, ahead(oldest if isinstance(oldest, date) else None)):
            op.execute(statement.replace(f"{new}_p", f"{table}_p"))
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {new}.id")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    key = f"id, {column}" if partitioned else "id"
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
    for name, indexed in indexes:
        op.execute(f"CREATE INDEX {name} ON {table} ({indexed})")
    for name, local, target in foreign_keys:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({local}) REFERENCES {target}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        _rebuild(table, partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        _rebuild(table, partitioned=False)
