"""Migrations that move data: 0003 seals the four payee columns of existing lines into one (and back
on downgrade); 0004 gives batches built before schedules the frequency of their period; 0007 leaves
the catalogue version of lines built before it null."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from alembic import command
from sqlalchemy import text

from tefu_common.app import configure_encryption
from tefu_common.db import create_engine
from tefu_common.field_crypto import get_field_cipher
from tefu_common.migrations import alembic_config, upgrade
from tefu_common.testing import scratch_database
from tefu_payments.settings import PaymentsSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
PARTS = {"payee_name": "李秀英", "payee_id_number": "370306196503021029", "bank_account": "6228480012345678901",
         "account_holder": "李秀英"}
LINE = ("INSERT INTO ledger_line (id, batch_id, reference, family_id, member_id, role, payee_key, benefit, benefit_name, "
        "period_key, month, amount, status, rule_id, citation, bank_name, created_at{columns}) VALUES (:id, 1, :reference, "
        "7, 70, 'mother', 'm70', 'special_assistance', '特扶金', :period, :period, 610, 'paid', 'r', 'c', '农行', "
        "'2026-11-22 00:00:00+00'{values})")


async def _run(url: str, *statements: tuple[str, dict]) -> list:
    """The statements in one transaction; the rows of the last one."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement, values in statements:
                result = await connection.execute(text(statement), values)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def test_existing_lines_and_batches_through_upgrade_and_downgrade(tmp_path):
    configure_encryption(PaymentsSettings())  # the keys the migration itself uses
    cipher = get_field_cipher()
    with scratch_database("payments_0003", tmp_path) as url:
        upgrade(ALEMBIC_INI, url, "0002")
        sealed = {name: cipher.encrypt(value, context=f"ledger_line.{name}") for name, value in PARTS.items()}
        asyncio.run(_run(
            url,
            ("INSERT INTO agency VALUES ('A1', 'a', '370306', 'csv', 'utf-8', '[]', true, 'trailer', true, "
             "'2026-11-22 00:00:00+00', '2026-11-22 00:00:00+00')", {}),
            ("INSERT INTO batch (id, region_code, benefits, period, period_start, period_end, agency_id, status, "
             "prepared_by, request_hash, line_count, total, created_at, updated_at) VALUES (1, '370306', '[]', '2020-06', "
             "'2020-06-01', '2020-06-30', 'A1', 'exported', 'clerk', 'h', 2, 1220, '2026-11-22 00:00:00+00', "
             "'2026-11-22 00:00:00+00')", {}),
            ("INSERT INTO batch (id, region_code, benefits, period, period_start, period_end, agency_id, status, "
             "prepared_by, request_hash, line_count, total, created_at, updated_at) VALUES (2, '370306', '[]', '2020-Q3', "
             "'2020-07-01', '2020-09-30', 'A1', 'draft', 'clerk', 'h', 0, 0, '2026-11-22 00:00:00+00', "
             "'2026-11-22 00:00:00+00')", {}),
            (LINE.format(columns=", " + ", ".join(PARTS), values=", " + ", ".join(f":{p}" for p in PARTS)),
             {"id": 1, "reference": "R1", "period": "2020-06", **sealed}),
            (LINE.format(columns="", values=""), {"id": 2, "reference": "R2", "period": "2020-07"}),
        ))

        upgrade(ALEMBIC_INI, url)
        rows = asyncio.run(_run(url, ("SELECT id, payee FROM ledger_line ORDER BY id", {})))
        assert rows[1][1] is None
        assert orjson.loads(cipher.decrypt(rows[0][1], context="ledger_line.payee")) == list(PARTS.values())
        frequencies = asyncio.run(_run(url, ("SELECT id, frequency FROM batch ORDER BY id", {})))
        assert frequencies == [(1, "monthly"), (2, "quarterly")]
        # 0007: what lines written before were computed from was never recorded; it stays unknown.
        assert asyncio.run(_run(url, ("SELECT catalogue_version, amount_status FROM ledger_line", {}))) == [(None, None)] * 2

        command.downgrade(alembic_config(ALEMBIC_INI, url), "0002")
        rows = asyncio.run(_run(url, (f"SELECT {', '.join(PARTS)} FROM ledger_line ORDER BY id", {})))
        assert [cipher.decrypt(token, context=f"ledger_line.{name}") for name, token in zip(PARTS, rows[0])] == \
            list(PARTS.values())
        assert rows[1] == (None, None, None, None)
