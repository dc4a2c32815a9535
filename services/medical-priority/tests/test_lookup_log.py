"""The lookup log: every concurrent lookup has its row; a lookup whose row cannot be written is not answered."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from tefu_common.db import Database
from tefu_medical_priority.access_log.models import LookupLogEntry


async def _count(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(LookupLogEntry)))


async def test_two_hundred_concurrent_lookups_leave_two_hundred_rows(client, issue_card, hospital, desk, database_url):
    await hospital()
    card_no = await issue_card("420102")
    database = Database(database_url)
    try:
        before = await _count(database)
        answers = await asyncio.gather(*(client.get(f"/v1/cards/{card_no}", headers=desk()) for _ in range(200)))
        assert {a.status_code for a in answers} == {200}
        assert await _count(database) - before == 200
    finally:
        await database.dispose()


async def test_a_lookup_whose_row_cannot_be_written_gives_no_answer(client, issue_card, hospital, desk, database_url):
    await hospital()
    card_no = await issue_card("420102")
    assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE lookup_log RENAME TO lookup_log_away"))
        try:
            refused = await client.get(f"/v1/cards/{card_no}", headers=desk())
        finally:
            async with database.engine.begin() as connection:
                await connection.execute(text("ALTER TABLE lookup_log_away RENAME TO lookup_log"))
        assert refused.status_code == 503
        assert refused.json()["code"] == "access-log-unavailable" and refused.headers["retry-after"] == "2"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "holder" not in refused.json() and "valid" not in refused.json()
        assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    finally:
        await database.dispose()


async def test_desk_lookups_are_sealed_as_written_beside_rows_the_sealer_seals(client, issue_card, hospital, desk, auth,
                                                                               database_url):
    """On PostgreSQL a group of desk lookups is in the chain the moment it is committed; a clerk's
    read of a card, written in its request's transaction, is sealed afterwards; the chain is whole."""
    if not database_url.startswith("postgresql"):
        return  # SQLite: every row is sealed by the sealer (tests of tefu_common.access_chain)
    await hospital()
    card_no = await issue_card("420102")
    clerk = auth(role="clerk", region="420102")
    auditor = auth(role="auditor", region="000000")
    database = Database(database_url)
    try:
        for _ in range(3):
            answers = await asyncio.gather(*(client.get(f"/v1/cards/{card_no}", headers=desk()) for _ in range(40)))
            assert {a.status_code for a in answers} == {200}
            async with database.engine.connect() as connection:
                unsealed = await connection.scalar(text(
                    "SELECT count(*) FROM lookup_log WHERE how = 'card_no' AND chain_seq IS NULL"))
            assert unsealed == 0  # no sealer round in between: sealed by their own write
            assert (await client.get(f"/v1/cards/{card_no}/record", headers=clerk)).status_code == 200
        for _ in range(100):
            verdict = (await client.get("/v1/access-log/verify", headers=auditor)).json()
            if verdict["unsealed"] == 0:
                break
            await asyncio.sleep(0.1)
        async with database.engine.connect() as connection:
            rows, positions = (await connection.execute(text(
                "SELECT count(*), count(DISTINCT chain_seq) FROM lookup_log"))).one()
        assert verdict["whole"] is True and verdict["unsealed"] == 0, verdict
        assert verdict["sealed_through"] == rows == positions  # one position each, none twice
    finally:
        await database.dispose()


async def test_two_writers_sealing_as_they_write_take_turns_at_the_head(database_url):
    """Two replicas' writers, each remembering the head it left: when the other moved it, a group
    goes again under the head's lock; the chain holds every row once, whole."""
    if not database_url.startswith("postgresql"):
        return
    import asyncpg
    from datetime import datetime, timezone

    from sqlalchemy.engine import make_url

    from tefu_medical_priority.access_log.models import lookup_chain

    url = make_url(database_url)
    connection = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database)
    first, second = lookup_chain.sealed_writer(), lookup_chain.sealed_writer()

    def rows(count: int, who: str) -> list[dict]:
        return [{"at": datetime.now(timezone.utc), "subject": who, "role": "hospital", "institution": "H420106001",
                 "endpoint": "GET /v1/cards/{card_no}", "how": "card_no", "card_id": n, "region_code": "420106",
                 "outcome": "valid", "request_id": f"{who}-{n}"} for n in range(count)]

    try:
        for writer, who, count in [(first, "a", 3), (first, "a", 5), (second, "b", 4), (first, "a", 2),
                                   (second, "b", 1), (second, "b", 6), (first, "a", 700)]:
            await writer.insert(connection, rows(count, who))
        total, positions, low, high = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT chain_seq), min(chain_seq), max(chain_seq) FROM lookup_log")
        assert (total, positions, low, high) == (721, 721, 1, 721)
        assert await connection.fetchval("SELECT count(*) FROM lookup_log WHERE chain_seq IS NULL") == 0
    finally:
        await connection.close()
    database = Database(database_url)
    try:
        verdict = await lookup_chain.verify(database.engine)
    finally:
        await database.dispose()
    assert verdict.whole and verdict.sealed_through == 721 and verdict.rows_checked == 721
