"""Migration 0004 makes an existing installation read the change feed again from its start, so that
liaisons assigned and deaths recorded before it reach the desk; a family already queued keeps its
place and is not marked for its liaisons by the upgrade itself (the replayed feed marks it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import text

from tefu_common.db import create_engine
from tefu_common.migrations import alembic_config, upgrade
from tefu_common.testing import scratch_database

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def _run(url: str, *statements: str) -> list:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def test_the_upgrade_replays_the_feed_from_its_start(tmp_path):
    with scratch_database("medical_priority_0004", tmp_path) as url:
        upgrade(ALEMBIC_INI, url, "0003")
        asyncio.run(_run(
            url,
            "INSERT INTO feed_cursor (feed, cursor, updated_at) VALUES ('registry', 5120, '2026-12-01 00:00:00+00')",
            "INSERT INTO pending_family (family_id, priority, reason, enqueued_at, attempts, next_attempt_at) "
            "VALUES (17, 0, 'change', '2026-12-01 00:00:00+00', 0, '2026-12-01 00:00:00+00')"))
        upgrade(ALEMBIC_INI, url)
        assert asyncio.run(_run(url, "SELECT feed, cursor FROM feed_cursor")) == [("registry", 0)]
        queued = asyncio.run(_run(url, "SELECT family_id, liaisons_due FROM pending_family"))
        assert [(family, bool(due)) for family, due in queued] == [(17, False)]  # SQLite answers 0 for false

        command.downgrade(alembic_config(ALEMBIC_INI, url), "0003")
        assert asyncio.run(_run(url, "SELECT family_id FROM pending_family")) == [(17,)]
