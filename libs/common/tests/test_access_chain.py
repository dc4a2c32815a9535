"""The access log's hash chain, on SQLite and on PostgreSQL: sealing, and the check that names the
first row changed, removed or added in the database by hand."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Integer, String, delete, func, insert, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tefu_common.access_chain import (AccessChain, AccessChainSealer, ChainAlgorithmMismatch, Members,
                                      canonical, canonical_values, chain_head_table, link)
from tefu_common.access_log import AccessLog, AccessLogColumns, Reader, access_log_router
from tefu_common.auth import KeySet, TokenVerifier
from tefu_common.crypto_mode import crypto_mode
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


class ReadHousehold(Base):  # the households a read of several showed, with their region then
    __tablename__ = "read_household"
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))


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


HOUSEHOLDS = Members(ReadHousehold.__table__, "entry_id", ("household_id", "region_code"), omit_empty=True)
NAMED = AccessLog(ReadLog, named=HOUSEHOLDS)


async def test_a_read_of_several_is_one_entry_sealed_with_what_it_showed(database):
    async with database.sessionmaker() as session:
        assert await NAMED.record(session, READER, [{"household_id": 7, "region_code": "370306001"}]) == 1
        assert await NAMED.record(session, READER, [{"household_id": h, "region_code": r} for h, r in (
            (8, "370306001"), (9, "370306002"), (8, "370306001"), (10, "370302"))]) == 4  # 8 shown twice, named once
        source = select(ReadLog.id.label("household_id"), ReadLog.region_code).where(ReadLog.household_id == 7)
        await NAMED.record_from(session, READER, source, ["household_id", "region_code"], region_code="370300")
        await session.commit()
    async with database.engine.connect() as connection:
        entries = (await connection.execute(select(ReadLog.id, ReadLog.household_id, ReadLog.region_code)
                                            .order_by(ReadLog.id))).all()
        shown = (await connection.execute(select(ReadHousehold.entry_id, ReadHousehold.household_id, ReadHousehold.region_code)
                                          .order_by(ReadHousehold.entry_id, ReadHousehold.household_id))).all()
    one, several, bulk = entries
    assert (one.household_id, one.region_code) == (7, "370306001")  # a read of one names it on its entry
    assert (several.household_id, several.region_code) == (None, "370300")  # the smallest region covering all three
    assert (bulk.household_id, bulk.region_code) == (None, "370300")
    assert [tuple(row) for row in shown] == [(several.id, 8, "370306001"), (several.id, 9, "370306002"),
                                             (several.id, 10, "370302"), (bulk.id, one.id, "370306001")]

    log = AccessChain(ReadLog.__table__, HEAD, members=HOUSEHOLDS)
    assert await log.seal(database.engine) == 3
    assert (await log.verify(database.engine)).whole
    async with database.engine.connect() as connection:
        first = (await connection.execute(select(ReadLog).where(ReadLog.id == one.id))).mappings().one()
        second = (await connection.execute(select(ReadLog).where(ReadLog.id == several.id))).mappings().one()
        head = (await connection.execute(select(HEAD))).mappings().one()
    # An entry without members is hashed as a row of a log without members was: no "members" key.
    assert first["chain_hash"] == hashlib.sha256(bytes(32) + reference_canonical(1, dict(first))).hexdigest()
    # One with members: each a list of its columns' values, [household, region].
    households = [(8, "370306001"), (9, "370306002"), (10, "370302")]
    assert second["chain_hash"] == hashlib.sha256(bytes.fromhex(first["chain_hash"]) + reference_canonical(
        2, dict(second), households)).hexdigest()
    assert head["last_seq"] == 3

    await execute(database, update(ReadHousehold).where(ReadHousehold.household_id == 9).values(region_code="370303"))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.id, broken.reason_code) == (several.id, "row-altered")  # the region it was read in, changed
    await execute(database, update(ReadHousehold).where(ReadHousehold.household_id == 9).values(region_code="370306002"))
    assert (await log.verify(database.engine)).whole
    await execute(database, delete(ReadHousehold).where(ReadHousehold.entry_id == bulk.id))
    broken = (await log.verify(database.engine)).first_broken
    assert (broken.id, broken.reason_code) == (bulk.id, "row-altered")  # all it showed, removed


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


# --- the canonical bytes stay those of their definition ---------------------------------------------
#
# Every chain already sealed was computed with json.dumps over the row's plain values, as below; the
# sealer now writes the same bytes another way. These tests hold it to the definition, kept here.


def reference_plain(value):
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def reference_canonical(seq, row, members=None) -> bytes:
    document = {"seq": seq, "row": {name: reference_plain(value) for name, value in row.items()
                                    if name not in ("chain_seq", "chain_hash")}}
    if members is not None:
        document["members"] = sorted(reference_plain(member) for member in members)
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def reference_digest(mode: str):
    if mode == "sm":
        def sm3(data: bytes) -> bytes:
            hasher = hashes.Hash(hashes.SM3())
            hasher.update(data)
            return hasher.finalize()
        return sm3
    return lambda data: hashlib.sha256(data).digest()


AWKWARD_CHARACTERS = ("\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x9f\xa0\xad"  # controls, C1, NBSP, soft hyphen
                      '"\\/\'<>&'  # what JSON escapes, and what it need not
                      "\u2028\u2029\u200b\u200d\ufeff\ufffd\uffff"  # line and paragraph separators, joiners, BOM
                      "é中文𠀀😀👨‍👩‍👧🇨🇳\U0010ffff"  # non-ASCII, beyond the BMP, ZWJ sequences, flags
                      "aZ09 ")


def awkward_text(rng: random.Random) -> str:
    return "".join(rng.choice(AWKWARD_CHARACTERS) for _ in range(rng.randrange(0, 12)))


def awkward_value(rng: random.Random):
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31 - 1, -2**31, 2**53 + 1, 2**63 - 1, -2**63, 2**63, 2**64 - 1,
                           2**64, -2**63 - 1, 10**30, -10**40])
    if kind == 3:
        return rng.randrange(-10**12, 10**12)
    if kind == 4:
        return rng.choice([Decimal("0"), Decimal("0.10"), Decimal("-1E+3"), Decimal("12345678901234567890.123456"),
                           Decimal("NaN"), Decimal("-0"), Decimal(rng.randrange(10**8)) / 100])
    if kind == 5:
        return date(rng.choice([1, 999, 1000, 1970, 2026, 9999]), rng.randrange(1, 13), rng.randrange(1, 29))
    if kind in (6, 7):  # aware, in several zones (China's among them), and naive (taken as UTC)
        moment = datetime(rng.choice([1, 9, 999, 1000, 1970, 2026, 9998]), rng.randrange(1, 13), rng.randrange(1, 29),
                          rng.randrange(24), rng.randrange(60), rng.randrange(60),
                          rng.choice([0, 1, 999999, rng.randrange(10**6)]))
        if kind == 6:
            zone = rng.choice([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
            moment = moment.replace(tzinfo=zone) if moment.year > 1 else moment.replace(tzinfo=timezone.utc)
        return moment
    if kind == 8:
        return rng.randbytes(rng.randrange(0, 9))
    if kind == 9:  # no log holds floats; the definition decides how they are written
        return rng.choice([0.1, 1e16, -0.0, 1.5e-7, float("nan"), float("inf"), 2.0**70])
    return awkward_text(rng)


COLUMN_NAMES = ("id", "at", "subject", "role", "endpoint", "household_id", "note", "région", "名字", "Z", "_x", "a b",
                "chain_seq", "chain_hash")


def awkward_members(rng: random.Random):
    kind = rng.randrange(6)
    if kind == 5:  # members of several columns (the registry's family and region), now and then beyond 64 bits
        return [(rng.choice([rng.randrange(10**9), 2**64]), awkward_text(rng)) for _ in range(rng.randrange(1, 5))]
    if kind == 0:
        return None
    if kind == 1:
        return []
    if kind == 2:
        return [rng.choice([rng.randrange(10**9), 2**64, -3]) for _ in range(rng.randrange(1, 6))]
    if kind == 3:
        return [awkward_text(rng) for _ in range(rng.randrange(1, 4))]
    return [datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=rng.randrange(10**12))
            for _ in range(rng.randrange(1, 4))]


def test_canonical_bytes_equal_the_definition_over_random_awkward_rows():
    rng = random.Random(20261203)
    suite_digest = reference_digest(crypto_mode().value)  # the link uses the suite's digest (TEFU_CRYPTO)
    for _ in range(20_000):
        row = {name: awkward_value(rng) for name in rng.sample(COLUMN_NAMES, rng.randrange(1, len(COLUMN_NAMES)))}
        members = awkward_members(rng)
        seq = rng.choice([1, rng.randrange(1, 2**40), 2**70])
        expected = reference_canonical(seq, row, members)
        assert canonical(seq, row, members) == expected, (seq, row, members)
        names = sorted(name for name in row if name not in ("chain_seq", "chain_hash"))
        assert canonical_values(seq, names, [row[name] for name in names], members) == expected, (seq, row, members)
        assert link(b"\x01" * 32, seq, row, members) == suite_digest(b"\x01" * 32 + expected)


def test_canonical_bytes_equal_the_definition_for_every_character():
    # Every code point but the surrogates, a thousand to a value.
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 1000):
        text_ = "".join(map(chr, points[start:start + 1000]))
        row = {"id": start, "subject": text_}
        assert canonical(7, row, [text_]) == reference_canonical(7, row, [text_])


def test_a_value_the_definition_cannot_write_fails_alike():
    row = {"id": 1, "subject": "lone \ud800 surrogate"}
    with pytest.raises(UnicodeEncodeError):
        reference_canonical(1, row)
    with pytest.raises(UnicodeEncodeError):
        canonical(1, row)


def awkward_rows(count: int) -> list[dict]:
    """Rows a log may hold, as written to the database: strings with controls (not NUL: PostgreSQL
    refuses it in text), emoji, separators, quotes and backslashes; absent values; odd instants."""
    rng = random.Random(7)
    texts = ["plain", "tab\there", "line\nbreak\r\n", "\x01\x1b\x1f\x7f", 'quote " and \\ back\\"', "\u2028\u2029",
             "😀👨‍👩‍👧🇨🇳", "é 中文 𠀀", "</script>", "", "\ufeff\u200d"]
    moments = [datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc),  # no microseconds
               datetime(2026, 12, 3, 18, 0, 0, 1, tzinfo=timezone(timedelta(hours=8))),  # China's time
               datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc),  # a year of three digits
               datetime(2026, 11, 30, 15, 59, 59, 999999, tzinfo=timezone.utc)]  # November's last moment in China
    rows = []
    for n in range(count):
        rows.append({
            "id": n + 1, "at": rng.choice(moments) - timedelta(seconds=n), "subject": rng.choice(texts) or "s",
            "role": rng.choice(["clerk", "auditor", "é"]), "institution": rng.choice([None, *texts]),
            "endpoint": rng.choice(texts), "region_code": rng.choice([None, "370306001", "\u2028"]),
            "request_id": rng.choice([None, *texts]), "household_id": rng.choice([None, 0, -1, 2**31 - 1, -2**31, n]),
        })
    return rows


def expected_chain(rows: list[dict], members: dict[int, list[int]], mode: str) -> dict[int, tuple[int, str]]:
    """(position, hash) of every row by id, as the definition chains them from the fixed start."""
    hashed, previous, chained = reference_digest(mode), bytes(32), {}
    for seq, row in enumerate(sorted(rows, key=lambda row: row["id"]), 1):
        previous = hashed(previous + reference_canonical(seq, row, members.get(row["id"], [])))
        chained[row["id"]] = (seq, previous.hex())
    return chained


async def stored_rows(database: Database) -> tuple[list[dict], dict[int, list[int]]]:
    async with database.engine.connect() as connection:
        rows = [dict(row) for row in (await connection.execute(select(ReadLog.__table__).order_by(ReadLog.id))).mappings()]
        named: dict[int, list[int]] = {}
        for entry, member in (await connection.execute(select(ReadMember.entry_id, ReadMember.member_id))).all():
            named.setdefault(entry, []).append(member)
    return rows, named


async def write_awkward(database: Database, count: int) -> None:
    rows = awkward_rows(count)
    async with database.engine.begin() as connection:
        await connection.execute(insert(ReadLog), rows)
        await connection.execute(insert(ReadMember), [
            {"entry_id": row["id"], "member_id": member} for row in rows[::3]
            for member in {row["id"] * 7, 2**31 - 1 - row["id"], row["id"] % 5}])


@pytest.mark.parametrize("mode", ["standard", "sm"])
@pytest.mark.parametrize("seal_chunk", [None, 7])
async def test_the_sealer_writes_the_chain_the_definition_computes(database, monkeypatch, mode, seal_chunk):
    monkeypatch.setenv("TEFU_CRYPTO", mode)
    await write_awkward(database, 60)
    assert await chain(seal_chunk=seal_chunk).seal(database.engine) == 60
    rows, named = await stored_rows(database)
    expected = expected_chain(rows, named, mode)
    assert {row["id"]: (row["chain_seq"], row["chain_hash"]) for row in rows} == expected
    async with database.engine.connect() as connection:
        head = (await connection.execute(select(HEAD))).mappings().one()
    assert (head["last_seq"], head["last_hash"]) == expected[max(expected)]
    assert (await chain(verify_chunk=seal_chunk).verify(database.engine)).whole


@pytest.mark.parametrize("mode", ["standard", "sm"])
async def test_a_chain_sealed_by_the_definition_still_verifies(database, monkeypatch, mode):
    # A log sealed before: its positions and hashes written as the definition computes them.
    monkeypatch.setenv("TEFU_CRYPTO", mode)
    await write_awkward(database, 40)
    rows, named = await stored_rows(database)
    expected = expected_chain(rows, named, mode)
    async with database.engine.begin() as connection:
        for row_id, (seq, hashed) in expected.items():
            await connection.execute(update(ReadLog).where(ReadLog.id == row_id).values(chain_seq=seq, chain_hash=hashed))
        await connection.execute(insert(HEAD).values(table_name="read_log", last_seq=40, last_hash=expected[40][1],
                                                     algorithm="sm3" if mode == "sm" else "sha256"))
    verdict = await chain(verify_chunk=9).verify(database.engine)
    assert (verdict.whole, verdict.rows_checked, verdict.head_hash) == (True, 40, expected[40][1])
    await execute(database, update(ReadLog).where(ReadLog.id == 17).values(endpoint=rows[16]["endpoint"] + "\u2028"))
    broken = (await chain().verify(database.engine)).first_broken
    assert (broken.seq, broken.id, broken.reason_code) == (17, 17, "row-altered")


async def test_a_log_partitioned_by_month_is_sealed_in_one_statement_a_chunk(database):
    """The registry's, payments' and medical-priority's logs on PostgreSQL: partitioned by ``at``,
    keyed by (id, at). A chunk spanning months is sealed whole, each row once."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE read_log"))
        await connection.execute(text(
            "CREATE TABLE read_log (id SERIAL, at TIMESTAMPTZ NOT NULL, subject VARCHAR(128) NOT NULL, "
            "role VARCHAR(16) NOT NULL, institution VARCHAR(64), endpoint VARCHAR(200) NOT NULL, "
            "region_code VARCHAR(12), request_id VARCHAR(128), household_id INTEGER, chain_seq BIGINT, "
            "chain_hash VARCHAR(64), PRIMARY KEY (id, at)) PARTITION BY RANGE (at)"))
        for name, low, high in (("p202611", "2026-10-31 16:00+00", "2026-11-30 16:00+00"),
                                ("p202612", "2026-11-30 16:00+00", "2026-12-31 16:00+00")):
            await connection.execute(text(f"CREATE TABLE read_log_{name} PARTITION OF read_log "
                                          f"FOR VALUES FROM ('{low}') TO ('{high}')"))
        await connection.execute(text("CREATE TABLE read_log_pdefault PARTITION OF read_log DEFAULT"))
        await connection.execute(text("CREATE INDEX ix_read_log_unsealed ON read_log (id) WHERE chain_seq IS NULL"))
    await write_awkward(database, 90)
    async with database.engine.connect() as connection:
        spread = dict((await connection.execute(text(
            "SELECT tableoid::regclass::text, count(*) FROM read_log GROUP BY 1"))).all())
    assert set(spread) == {"read_log_p202611", "read_log_p202612", "read_log_pdefault"}

    assert await chain().seal(database.engine) == 90  # one chunk, over three partitions
    rows, named = await stored_rows(database)
    assert {row["id"]: (row["chain_seq"], row["chain_hash"]) for row in rows} == expected_chain(rows, named, "standard")
    await write_awkward_more(database)
    assert await chain(seal_chunk=4).seal(database.engine) == 10
    verdict = await chain().verify(database.engine)
    assert (verdict.whole, verdict.rows_checked, verdict.unsealed) == (True, 100, 0)


async def write_awkward_more(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(insert(ReadLog), [{**row, "id": row["id"] + 1000} for row in awkward_rows(10)])
