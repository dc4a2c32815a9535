"""The access log's hash chain, on SQLite and on PostgreSQL: sealing, and the check that names the
first row changed, removed or added in the database by hand."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Integer, String, delete, func, insert, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tefu_common.access_chain import (AccessChain, AccessChainSealer, ChainAlgorithmMismatch, Members,
                                      chain_head_table, link)
from tefu_common.access_log import AccessLog, AccessLogColumns, Reader, access_log_router
from tefu_common.auth import KeySet, TokenVerifier
from tefu_common.db import Database, UtcDateTime, new_metadata
from tefu_common.errors import install_error_handlers
from tefu_common.testing import bearer, mint_token, scratch_database


class Base(DeclarativeBase):
    metadata = new_metadata()


class ReadLog(AccessLogColumns, Base):
    __tablename__ = "read_log"
    household_id: Mapped[int | None] = mapped_column(Integer)


class ReadMember(Base):
    __tablename__ = "read_member"
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Other(Base):  # a second log of the same database, with its own chain and head row
    __tablename__ = "other_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


HEAD = chain_head_table(Base.metadata)
READS = AccessLog(ReadLog)
READER = Reader("clerk-zhang", "clerk", None, "GET /v1/households/{household_id}")


def chain(**options) -> AccessChain:
    return AccessChain(ReadLog.__table__, HEAD, members=Members(ReadMember.__table__, "entry_id", "member_id"),
                       **options)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path, monkeypatch):
    monkeypatch.setenv("TEFU_TEST_DB", request.param)
    monkeypatch.delenv("TEFU_CRYPTO", raising=False)
    with scratch_database("common_chain", tmp_path) as url:
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            yield db
        finally:
            await db.dispose()


async def write(database: Database, count: int, *, members: int = 0) -> list[int]:
    """``count`` reads, as a repository writes them (in one transaction), each naming ``members`` people."""
    ids = []
    async with database.sessionmaker() as session:
        for n in range(count):
            entry = await READS.record_one(session, READER, household_id=n, region_code="370306001")
            ids.append(entry)
            if members:
                await session.execute(insert(ReadMember), [{"entry_id": entry, "member_id": m} for m in range(members)])
        await session.commit()
    return ids


async def execute(database: Database, statement) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(statement)


async def test_sealed_rows_make_a_whole_chain_checked_in_chunks(database):
    await write(database, 10, members=2)
    log = chain(seal_chunk=3, verify_chunk=4)
    before = await log.verify(database.engine)
    assert (before.whole, before.unsealed, before.sealed_through, before.rows_checked) == (True, 10, 0, 0)

    assert await log.seal(database.engine) == 10
    verdict = await log.verify(database.engine)
    assert verdict.whole and verdict.first_broken is None
    assert (verdict.algorithm, verdict.rows_checked, verdict.sealed_through, verdict.unsealed) == ("sha256", 10, 10, 0)
    async with database.engine.connect() as connection:
        seqs = (await connection.execute(select(ReadLog.id, ReadLog.chain_seq).order_by(ReadLog.id))).all()
        head = (await connection.execute(select(HEAD))).mappings().one()
    assert [seq for _, seq in seqs] == list(range(1, 11))  # oldest id first
    assert (head["table_name"], head["last_seq"], head["algorithm"]) == ("read_log", 10, "sha256")
    assert verdict.head_hash == head["last_hash"]
    assert await log.seal(database.engine) == 0  # nothing left: a round seals nothing twice


async def test_a_row_edited_in_the_database_is_named(database):
    ids = await write(database, 6)
    log = chain()
    await log.seal(database.engine)
    await execute(database, update(ReadLog).where(ReadLog.id == ids[3]).values(endpoint="GET /v1/elsewhere"))
    verdict = await log.verify(database.engine)
    assert not verdict.whole
    broken = verdict.first_broken
    assert (broken.seq, broken.id, broken.reason_code, broken.reason) == (4, ids[3], "row-altered", "内容被改动")
    assert broken.at is not None
    assert verdict.rows_checked == 3


async def test_a_person_removed_from_a_row_breaks_it(database):
    ids = await write(database, 3, members=3)
    log = chain()
    await log.seal(database.engine)
    await execute(database, delete(ReadMember).where(ReadMember.entry_id == ids[1], ReadMember.member_id == 2))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.id, broken.reason_code) == (ids[1], "row-altered")


async def test_a_row_deleted_is_missing_and_the_newest_deleted_is_a_cut_tail(database):
    ids = await write(database, 5)
    log = chain()
    await log.seal(database.engine)
    await execute(database, delete(ReadLog).where(ReadLog.id == ids[-1]))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.seq, broken.id, broken.reason_code, broken.reason) == (5, None, "tail-truncated", "链尾被截断")

    await execute(database, delete(ReadLog).where(ReadLog.id == ids[1]))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.seq, broken.id, broken.reason_code) == (2, None, "row-missing")


async def test_a_copied_row_claiming_a_taken_place_is_found(database):
    ids = await write(database, 3)
    log = chain()
    await log.seal(database.engine)
    async with database.engine.begin() as connection:
        row = dict((await connection.execute(select(ReadLog).where(ReadLog.id == ids[1]))).mappings().one())
        await connection.execute(insert(ReadLog).values({**row, "id": 99}))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.seq, broken.id, broken.reason_code) == (2, 99, "row-inserted")


async def test_a_row_committed_late_is_sealed_next_round_and_the_chain_stays_whole(database):
    await execute(database, insert(ReadLog).values(id=10, household_id=1, **READER.columns(), region_code=None))
    log = chain()
    await log.seal(database.engine)
    assert (await log.verify(database.engine)).whole
    # An id lower than a sealed row's: its transaction took the id first and committed later.
    await execute(database, insert(ReadLog).values(id=5, household_id=2, **READER.columns(), region_code=None))
    pending = await log.verify(database.engine)
    assert (pending.whole, pending.unsealed, pending.sealed_through) == (True, 1, 1)
    assert await log.seal(database.engine) == 1
    verdict = await log.verify(database.engine)
    assert (verdict.whole, verdict.sealed_through, verdict.unsealed) == (True, 2, 0)
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(ReadLog.chain_seq).where(ReadLog.id == 5)) == 2


async def test_two_sealers_at_once_give_every_row_one_place(database):
    await write(database, 40)
    first, second = chain(seal_chunk=7), chain(seal_chunk=7)
    await asyncio.gather(first.seal(database.engine), second.seal(database.engine))
    await first.seal(database.engine)  # whatever a skipped round left
    verdict = await first.verify(database.engine)
    assert (verdict.whole, verdict.rows_checked, verdict.unsealed) == (True, 40, 0)
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count(func.distinct(ReadLog.chain_seq)))) == 40


async def test_each_log_has_its_own_chain_and_head(database):
    await write(database, 2)
    await execute(database, insert(Other).values(id=1, at=datetime.now(timezone.utc)))
    other = AccessChain(Other.__table__, HEAD)
    sealer = AccessChainSealer(database.engine, [chain(), other], interval=1.0)
    assert await sealer.seal_all() == 3
    assert (await other.verify(database.engine)).sealed_through == 1
    assert (await chain().verify(database.engine)).sealed_through == 2


async def test_the_chain_is_computed_with_sm3_and_refuses_another_algorithm(database, monkeypatch):
    monkeypatch.setenv("TEFU_CRYPTO", "sm")
    ids = await write(database, 2)
    log = chain()
    await log.seal(database.engine)
    verdict = await log.verify(database.engine)
    assert (verdict.whole, verdict.algorithm) == (True, "sm3")
    async with database.engine.connect() as connection:
        row = dict((await connection.execute(select(ReadLog).where(ReadLog.id == ids[0]))).mappings().one())
    assert row["chain_hash"] == link(bytes(32), 1, row, []).hex()  # the first link, from the fixed start

    monkeypatch.setenv("TEFU_CRYPTO", "standard")
    with pytest.raises(ChainAlgorithmMismatch) as refused:
        await log.verify(database.engine)
    assert refused.value.code == "access-chain-algorithm-mismatch" and "sm3" in str(refused.value)
    await write(database, 1)
    with pytest.raises(ChainAlgorithmMismatch):
        await log.seal(database.engine)  # nor extended with another digest


async def test_the_sealer_task_seals_rows_as_they_come(database):
    sealer = AccessChainSealer(database.engine, [chain()], interval=0.05)
    sealer.start()
    try:
        await write(database, 3)
        for _ in range(400):  # until sealed, however slow the machine
            if (await chain().verify(database.engine)).unsealed == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await sealer.stop()
    verdict = await chain().verify(database.engine)
    assert (verdict.whole, verdict.sealed_through, verdict.unsealed) == (True, 3, 0)


async def test_auditors_verify_over_http_and_others_may_not(database, signing_key, keys_dir):
    class ReadOut(BaseModel):
        id: int

    app = FastAPI()
    app.state.database = database
    app.state.token_verifier = TokenVerifier(KeySet.from_file(keys_dir / "issuer-jwks.json"), issuer="tefu",
                                             audience="tefu-registry")
    app.include_router(access_log_router(log=READS, item=ReadOut, description="Reads.", chain=chain()))
    install_error_handlers(app)
    ids = await write(database, 4)
    await chain().seal(database.engine)
    await execute(database, text(f"UPDATE read_log SET household_id = 77 WHERE id = {ids[2]}"))

    def headers(**claims):
        return bearer(mint_token(signing_key, audiences=("tefu-registry",), **claims))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        # An auditor of any region gets the same answer: the chain is the whole log's.
        for region in ("000000", "370306"):
            answer = await http.get("/v1/access-log/verify", headers=headers(role="auditor", region=region))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["whole"] is False and body["sealed_through"] == 4 and body["rows_checked"] == 2
            assert body["first_broken"]["id"] == ids[2] and body["first_broken"]["reason_code"] == "row-altered"
        clerk = await http.get("/v1/access-log/verify", headers=headers(role="clerk"))
        assert clerk.status_code == 403
        auditor = headers(role="auditor", region="000000")
        half = await http.get("/v1/access-log/verify", params={"anchor_seq": 4}, headers=auditor)
        assert half.status_code == 422 and half.json()["errors"][0]["field"] == "query.anchor_hash"
        anchored = await http.get("/v1/access-log/verify", params={"anchor_seq": 4, "anchor_hash": "0" * 64},
                                  headers=auditor)
        assert anchored.status_code == 200 and anchored.json()["first_broken"]["reason_code"] == "row-altered"


async def test_an_archived_month_leaves_a_chain_that_starts_after_it(database):
    ids = await write(database, 6)
    log = chain()
    await log.seal(database.engine)
    async with database.engine.connect() as connection:
        third = await connection.scalar(select(ReadLog.chain_hash).where(ReadLog.chain_seq == 3))
    await execute(database, delete(ReadLog).where(ReadLog.id.in_(ids[:3])))  # the oldest month, detached and dumped
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.seq, broken.reason_code) == (1, "row-missing")  # unless the head says it was archived
    await execute(database, update(HEAD).where(HEAD.c.table_name == "read_log").values(
        archived_through=3, archived_hash=third))
    verdict = await log.verify(database.engine)
    assert (verdict.whole, verdict.archived_through, verdict.rows_checked, verdict.sealed_through) == (True, 3, 3, 6)
    await execute(database, update(ReadLog).where(ReadLog.id == ids[3]).values(household_id=0))
    assert (await log.verify(database.engine)).first_broken.id == ids[3]  # the first row after the archive is checked


async def test_a_chain_recomputed_wholesale_is_caught_by_a_kept_anchor(database):
    ids = await write(database, 4)
    log = chain()
    await log.seal(database.engine)
    kept = await log.verify(database.engine)
    # Someone who can write the log and its head edits a row and recomputes every link after it.
    await execute(database, update(ReadLog).where(ReadLog.id == ids[1]).values(subject="someone-else"))
    async with database.engine.begin() as connection:
        previous = bytes(32)
        for row in (await connection.execute(select(ReadLog).order_by(ReadLog.chain_seq))).mappings().all():
            previous = link(previous, row["chain_seq"], dict(row), [])
            await connection.execute(update(ReadLog).where(ReadLog.id == row["id"]).values(chain_hash=previous.hex()))
        await connection.execute(update(HEAD).values(last_hash=previous.hex()))
    assert (await log.verify(database.engine)).whole  # without an anchor it cannot be told
    caught = await log.verify(database.engine, (kept.sealed_through, kept.head_hash))
    assert (caught.whole, caught.first_broken.seq, caught.first_broken.reason_code) == (False, 4, "anchor-mismatch")
