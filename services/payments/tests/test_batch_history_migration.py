"""Migration 0008 turns the English sentences the service wrote into a batch's history into facts,
which every reader gets in their language; a person's own note stays as written. Downgrading
writes the sentences back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from tefu_common.db import create_engine
from tefu_common.migrations import alembic_config, upgrade
from tefu_common.testing import scratch_database

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
SHA = "9f2c5d0e" * 8
STEPS = [(1, None, "draft", "39 lines, 36 of earlier months"), (2, "draft", "submitted", None),
         (3, "submitted", "approved", "已核对"), (4, "approved", "exported", f"file sha256 {SHA}"),
         (5, "exported", "reconciled", "37 paid, 2 failed"),
         # A person who happened to write something alike, on a step the service never notes.
         (6, "reconciled", "cancelled", "3 paid, 1 failed")]


async def _run(url: str, *statements: str) -> list:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def _facts(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def test_old_notes_become_facts_and_come_back_on_downgrade(tmp_path):
    with scratch_database("payments_0008", tmp_path) as url:
        upgrade(ALEMBIC_INI, url, "0007")
        asyncio.run(_run(
            url,
            "INSERT INTO agency VALUES ('A1', 'a', '370306', 'csv', 'utf-8', '[]', true, 'trailer', true, "
            "'2026-11-22 00:00:00+00', '2026-11-22 00:00:00+00')",
            "INSERT INTO batch (id, region_code, benefits, period, frequency, period_start, period_end, agency_id, "
            "status, prepared_by, request_hash, line_count, total, created_at, updated_at) VALUES (1, '370306', '[]', "
            "'2020-06', 'monthly', '2020-06-01', '2020-06-30', 'A1', 'reconciled', 'clerk', 'h', 39, 13260, "
            "'2026-11-22 00:00:00+00', '2026-11-22 00:00:00+00')",
            *(f"INSERT INTO batch_transition (id, batch_id, from_status, to_status, actor, at, note) VALUES ({i}, 1, "
              f"{'NULL' if before is None else repr(before)}, '{after}', 'clerk', '2026-11-22 00:00:00+00', "
              f"{'NULL' if note is None else repr(note)})" for i, before, after, note in STEPS)))
        upgrade(ALEMBIC_INI, url)
        rows = asyncio.run(_run(url, "SELECT id, event, facts, note FROM batch_transition ORDER BY id"))
        assert [(i, event, _facts(facts), note) for i, event, facts, note in rows] == [
            (1, "built", {"lines": 39, "arrears": 36}, None), (2, None, None, None), (3, None, None, "已核对"),
            (4, "exported", {"sha256": SHA}, None), (5, "reconciled", {"paid": 37, "failed": 2}, None),
            (6, None, None, "3 paid, 1 failed")]
        # Batches built before keep no counts of what they left out: unknown, not zero.
        assert asyncio.run(_run(url, "SELECT skipped_no_bank_account FROM batch")) == [(None,)]

        command.downgrade(alembic_config(ALEMBIC_INI, url), "0007")
        notes = asyncio.run(_run(url, "SELECT id, note FROM batch_transition ORDER BY id"))
        assert notes == [(i, note) for i, _, _, note in STEPS]
