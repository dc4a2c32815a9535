"""Notices of changed cards for the desk's card cache (lookup/cache.py), on PostgreSQL.

Every change a desk could see is announced on the channel ``tefu_desk_cards`` when its
transaction commits: ``c:<card_no>`` for a card updated or deleted, ``f:<family_id>`` for a
family whose parents' row (the guardianship facts in the desk's answer) was written or deleted.
A new card needs no notice (the cache never holds a number it did not find). A statement that
writes many parents' rows (a bulk pass, a thousand families at a time) gives one notice ``f:*``
instead of one per family, which empties the cache: a rare event, and far cheaper for the pass.

The embedded default (SQLite) has no notifications: its desk reads every card from the database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "tefu_desk_cards"
# Above this many parents' rows in one statement, one notice for all (a payload holds at most 8,000 bytes).
MANY = 200


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
CREATE FUNCTION desk_card_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', 'c:' || OLD.card_no);
  RETURN NULL;
END $$""")
    op.execute("""
CREATE TRIGGER desk_card_changed AFTER UPDATE OR DELETE ON card
FOR EACH ROW EXECUTE FUNCTION desk_card_changed()""")
    # Statement-level, over the statement's rows (transition tables): one notice per statement.
    op.execute(f"""
CREATE FUNCTION desk_parents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  families text;
  counted bigint;
BEGIN
  SELECT count(*), string_agg(DISTINCT 'f:' || family_id, ',') INTO counted, families FROM changed;
  IF counted > {MANY} THEN
    PERFORM pg_notify('{CHANNEL}', 'f:*');
  ELSIF counted > 0 THEN
    PERFORM pg_notify('{CHANNEL}', families);
  END IF;
  RETURN NULL;
END $$""")
    for event, table in (("INSERT", "NEW TABLE AS changed"), ("UPDATE", "NEW TABLE AS changed"),
                         ("DELETE", "OLD TABLE AS changed")):
        op.execute(f"""
CREATE TRIGGER desk_parents_{event.lower()} AFTER {event} ON family_parents
REFERENCING {table} FOR EACH STATEMENT EXECUTE FUNCTION desk_parents_changed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS desk_parents_{event} ON family_parents")
    op.execute("DROP TRIGGER IF EXISTS desk_card_changed ON card")
    op.execute("DROP FUNCTION IF EXISTS desk_parents_changed()")
    op.execute("DROP FUNCTION IF EXISTS desk_card_changed()")
