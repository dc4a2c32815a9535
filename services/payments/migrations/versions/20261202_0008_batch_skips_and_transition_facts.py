"""Payments: a batch keeps what its build left out and why; its history records facts, not sentences.

- ``batch_skip``: each entitlement a build left out (no amount, no bank account, already held by
  another batch, with the holding batch and line when known), ids only.
- ``batch.skipped_*``: the counts by reason, so every answer about a batch states them. Null on
  batches built before: what they left out was never kept.
- ``batch_transition.event`` and ``facts``: what the service records about a step (built,
  exported, reconciled) as data, rendered in the reader's language. The English sentences the
  service wrote before ("39 lines, 36 of earlier months", "file sha256 …", "37 paid, 2 failed")
  are turned into the same facts here; a person's own note stays as written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("skipped_no_amount", "skipped_no_bank_account", "skipped_already_in_ledger",
          "skipped_already_in_ledger_earlier")
# The sentences the service wrote, each with the step it was written on.
WRITTEN = {
    "built": (None, "draft", re.compile(r"(?P<lines>\d+) lines, (?P<arrears>\d+) of earlier months")),
    "exported": ("approved", "exported", re.compile(r"file sha256 (?P<sha256>[0-9a-f]{64})")),
    "reconciled": ("exported", "reconciled", re.compile(r"(?P<paid>\d+) paid, (?P<failed>\d+) failed")),
}
SENTENCES = {"built": "{lines} lines, {arrears} of earlier months", "exported": "file sha256 {sha256}",
             "reconciled": "{paid} paid, {failed} failed"}

transition = sa.table("batch_transition", sa.column("id", sa.Integer), sa.column("from_status", sa.String),
                      sa.column("to_status", sa.String), sa.column("note", sa.String),
                      sa.column("event", sa.String), sa.column("facts", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "batch_skip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("payee_key", sa.String(length=24), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("benefit", sa.String(length=48), nullable=False),
        sa.Column("benefit_name", sa.String(length=80), nullable=False),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("held_batch_id", sa.Integer(), nullable=True),
        sa.Column("held_reference", sa.String(length=32), nullable=True),
        sa.Column("amount_status", sa.String(length=20), nullable=True),
        sa.Column("amount_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_batch_skip_batch_id_batch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_skip")),
    )
    op.create_index("ix_batch_skip_batch_reason", "batch_skip", ["batch_id", "reason", "id"], unique=False)
    # Nullable, no default: adding them rewrites no row. Plain ALTER TABLE on SQLite too (as 0007):
    # a batch-mode copy of ``batch`` would have to drop a table other tables' keys point at.
    for name in COUNTS:
        op.add_column("batch", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("batch_transition", sa.Column("event", sa.String(length=16), nullable=True))
    op.add_column("batch_transition", sa.Column("facts", sa.JSON(), nullable=True))

    # A few rows a batch: read them all, turn the service's own sentences into facts.
    bind = op.get_bind()
    for row in bind.execute(sa.select(transition.c.id, transition.c.from_status, transition.c.to_status,
                                      transition.c.note).where(transition.c.note.is_not(None))).all():
        for event, (from_status, to_status, pattern) in WRITTEN.items():
            found = pattern.fullmatch(row.note)
            if found and (row.from_status, row.to_status) == (from_status, to_status):
                facts = {k: (v if k == "sha256" else int(v)) for k, v in found.groupdict().items()}
                bind.execute(transition.update().where(transition.c.id == row.id)
                             .values(event=event, facts=facts, note=None))
                break


def downgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(transition.c.id, transition.c.event, transition.c.facts)
                            .where(transition.c.event.is_not(None))).all():
        facts = row.facts if isinstance(row.facts, dict) else {}
        try:
            note = SENTENCES[row.event].format(**facts)
        except (KeyError, IndexError):
            continue
        bind.execute(transition.update().where(transition.c.id == row.id).values(note=note))
    op.drop_column("batch_transition", "facts")
    op.drop_column("batch_transition", "event")
    for name in reversed(COUNTS):
        op.drop_column("batch", name)
    op.drop_index("ix_batch_skip_batch_reason", table_name="batch_skip")
    op.drop_table("batch_skip")
