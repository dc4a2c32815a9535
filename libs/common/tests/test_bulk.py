"""Bulk writes (tefu_common.bulk) on the database under test: ids drawn ahead, COPY's errors,
columns sealed elsewhere."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tefu_common import field_crypto
from tefu_common.bulk import draw_ids, insert_columns, sealed
from tefu_common.db import Database, new_metadata, savepoint
from tefu_common.field_crypto import BlindIndex, EncryptedString, FieldCipher, KeyRing, configure_field_crypto, generate_key
from tefu_common.testing import scratch_database


class Base(DeclarativeBase):
    metadata = new_metadata()


class Holder(Base):
    __tablename__ = "holder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(EncryptedString("holder.name"))


@pytest.fixture
async def database(tmp_path):
    saved = (field_crypto._cipher, field_crypto._blind_index)
    configure_field_crypto(FieldCipher(KeyRing.from_config({"k1": generate_key()}, "k1")),
                           BlindIndex.from_base64(generate_key(), key_id="bi1"))
    with scratch_database("common_bulk", tmp_path) as url:
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            yield db
        finally:
            await db.dispose()
            field_crypto._cipher, field_crypto._blind_index = saved


async def test_ids_drawn_ahead_are_never_taken_by_another_writer(database):
    """Drawn ids are the drawer's: another writer inserting meanwhile gets other ids (on SQLite it
    waits for the drawer's write lock), and the rows land with the ids drawn."""
    async with database.sessionmaker() as bulk, database.sessionmaker() as other:
        ids = (await draw_ids(bulk, {Holder.__table__: 3}))["holder"]
        assert len(set(ids)) == 3

        async def other_writer() -> int:
            holder = Holder(certificate_no="OTHER")
            other.add(holder)
            await other.commit()
            return holder.id

        elsewhere = asyncio.create_task(other_writer())
        await asyncio.sleep(0.2)
        await insert_columns(bulk, Holder.__table__, {"id": ids, "certificate_no": ["A", "B", "C"],
                                                      "name": ["甲", None, "丙"]})
        await bulk.commit()
        other_id = await elsewhere
    assert other_id not in ids
    async with database.sessionmaker() as session:
        found = {h.certificate_no: (h.id, h.name) for h in (await session.scalars(select(Holder))).all()}
    assert found == {"A": (ids[0], "甲"), "B": (ids[1], None), "C": (ids[2], "丙"), "OTHER": (other_id, None)}
    async with database.sessionmaker() as session:  # and the next draw starts after them all
        assert min((await draw_ids(session, {Holder.__table__: 2}))["holder"]) > max(ids + [other_id])


async def test_a_bulk_write_that_breaks_a_unique_index_is_an_integrity_error(database):
    """Whatever way the rows go (COPY on PostgreSQL), a broken constraint is SQLAlchemy's
    IntegrityError, and a savepoint around the write keeps what came before it."""
    table = Holder.__table__
    async with database.sessionmaker() as session:
        await insert_columns(session, table, {"certificate_no": ["KEPT"], "name": ["甲"]})
        with pytest.raises(IntegrityError):
            async with savepoint(session):
                await insert_columns(session, table, {"certificate_no": ["NEW", "KEPT"], "name": [None, None]})
        await session.commit()
    async with database.sessionmaker() as session:
        assert (await session.scalars(select(Holder.certificate_no))).all() == ["KEPT"]


async def test_columns_sealed_elsewhere_are_written_as_they_stand_and_read_back(database):
    table = Holder.__table__
    columns = {"certificate_no": ["S1", "S2"], "name": ["张秀兰", None]}
    bound = sealed(table, columns)
    assert bound == {"name"} and columns["name"][0].startswith(f"{field_crypto.TOKEN_VERSIONS[field_crypto.crypto_mode()]}.k1.")
    assert columns["name"][1] is None and "张秀兰" not in columns["name"][0]
    async with database.sessionmaker() as session:
        await insert_columns(session, table, columns, bound=bound)
        await session.commit()
    async with database.sessionmaker() as session:
        assert (await session.execute(select(Holder.certificate_no, Holder.name).order_by(Holder.id))).all() == [
            ("S1", "张秀兰"), ("S2", None)]
        assert await session.scalar(select(func.count()).select_from(Holder)) == 2
