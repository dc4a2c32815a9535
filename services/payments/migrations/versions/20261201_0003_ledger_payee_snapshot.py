"""Payments: a ledger line's payee sealed as one value; failed lines indexed; two idle indexes dropped.

- ``payee`` replaces ``payee_name``, ``payee_id_number``, ``bank_account`` and ``account_holder``:
  the four values as one AES-GCM token of a JSON array, so that writing a line costs one
  encryption and reading it into the bank's file one decryption. Existing lines are re-sealed
  here with the service's own keys (``TEFU_PAYMENTS_ENCRYPTION__…``), in the same transaction.
- ``ix_ledger_line_failed``: the few failed lines, which a new batch carries again.
- ``ix_ledger_line_status`` goes: it served no query (states are read per batch or per key) and
  led the planner to scan every open line where the index of keys answers at once.
  ``ix_ledger_line_family_id`` goes too: no query reads lines by family, and every index costs
  each of a batch's million inserts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = ("payee_name", "payee_id_number", "bank_account", "account_holder")
PAGE = 1000


def _cipher():  # type: ignore[no-untyped-def]
    from tefu_common.app import configure_encryption
    from tefu_common.field_crypto import get_field_cipher
    from tefu_payments.settings import PaymentsSettings

    configure_encryption(PaymentsSettings())
    return get_field_cipher()


def _pages(bind: sa.Connection, columns: str, where: str):  # type: ignore[no-untyped-def]
    last = 0
    while rows := bind.execute(sa.text(f"SELECT id, {columns} FROM ledger_line WHERE id > :last AND ({where}) "
                                       f"ORDER BY id LIMIT {PAGE}"), {"last": last}).all():
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    op.create_index("ix_ledger_line_failed", "ledger_line", ["payee_key", "benefit", "period_key"], unique=False,
                    postgresql_where=sa.text("status = 'failed'"), sqlite_where=sa.text("status = 'failed'"))
    op.drop_index("ix_ledger_line_status", table_name="ledger_line")
    op.drop_index("ix_ledger_line_family_id", table_name="ledger_line")
    op.add_column("ledger_line", sa.Column("payee", sa.Text(), nullable=True))
    bind = op.get_bind()
    cipher = None
    for rows in _pages(bind, ", ".join(PARTS), " OR ".join(f"{p} IS NOT NULL" for p in PARTS)):
        cipher = cipher or _cipher()
        sealed = []
        for line_id, *tokens in rows:
            parts = [cipher.decrypt(t, context=f"ledger_line.{p}") if t else "" for p, t in zip(PARTS, tokens)]
            sealed.append({"id": line_id, "payee": cipher.encrypt(orjson.dumps(parts).decode(), context="ledger_line.payee")})
        bind.execute(sa.text("UPDATE ledger_line SET payee = :payee WHERE id = :id"), sealed)
    for part in PARTS:
        op.drop_column("ledger_line", part)


def downgrade() -> None:
    for part in PARTS:
        op.add_column("ledger_line", sa.Column(part, sa.Text(), nullable=True))
    bind = op.get_bind()
    cipher = None
    for rows in _pages(bind, "payee", "payee IS NOT NULL"):
        cipher = cipher or _cipher()
        opened = []
        for line_id, token in rows:
            parts = orjson.loads(cipher.decrypt(token, context="ledger_line.payee"))
            opened.append({"id": line_id, **{p: cipher.encrypt(v, context=f"ledger_line.{p}") if v else None
                                             for p, v in zip(PARTS, parts)}})
        bind.execute(sa.text(f"UPDATE ledger_line SET {', '.join(f'{p} = :{p}' for p in PARTS)} WHERE id = :id"), opened)
    op.drop_column("ledger_line", "payee")
    op.create_index("ix_ledger_line_family_id", "ledger_line", ["family_id"], unique=False)
    op.create_index("ix_ledger_line_status", "ledger_line", ["status"], unique=False)
    op.drop_index("ix_ledger_line_failed", table_name="ledger_line")
