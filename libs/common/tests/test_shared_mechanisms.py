"""The one way through the suite, on the configured database: pages, region scoping, the access log
and repositories, together in a small app as a service would use them."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tefu_common.access_log import AccessLog, AccessLogColumns, GroupCommit, Reader, access_log_router
from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import Database, new_metadata
from tefu_common.errors import ValidationFailed, install_error_handlers
from tefu_common.openapi import install_openapi
from tefu_common.paging import MAX_LIMIT, Page, PageParams, PageRequest, decode_cursor, encode_cursor, keyset_page, page_of
from tefu_common.repository import Repository
from tefu_common.request_context import RequestIdMiddleware
from tefu_common.scoping import covers, region_clause, require_within, scoped
from tefu_common.testing import bearer, mint_token, scratch_database


class Base(DeclarativeBase):
    metadata = new_metadata()


class Household(Base):
    __tablename__ = "household"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))
    head: Mapped[str] = mapped_column(String(32))


class ReadLog(AccessLogColumns, Base):
    __tablename__ = "read_log"
    household_id: Mapped[int | None] = mapped_column(Integer)


READS = AccessLog(ReadLog)


class Households(Repository):
    access_log = READS

    async def page(self, page: PageRequest) -> tuple[list[Household], str | None]:
        rows, next_cursor = await keyset_page(self.session, self.scoped(select(Household), Household.region_code),
                                              key=[Household.id], page=page)
        await self.log_reads({"household_id": h.id, "region_code": h.region_code} for h in rows)
        return rows, next_cursor


class HouseholdOut(BaseModel):
    id: int
    region_code: str
    head: str


class ReadOut(BaseModel):
    id: int
    subject: str
    endpoint: str
    household_id: int | None
    region_code: str | None


Readers = Annotated[Households, Households.dependency(require(Scope.families_read))]


def households_app(database: Database, verifier) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    app.state.token_verifier = verifier
    router = APIRouter(prefix="/v1")

    @router.get("/households", response_model=Page[HouseholdOut])
    async def households(households: Readers, page: PageParams) -> Page[HouseholdOut]:
        rows, next_cursor = await households.page(page)
        return Page[HouseholdOut](items=[HouseholdOut.model_validate(r, from_attributes=True) for r in rows],
                                  next_cursor=next_cursor)

    app.include_router(router)
    app.include_router(access_log_router(log=READS, item=ReadOut, description="Reads of households, for auditors."))
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(RequestIdMiddleware)
    return app


@pytest.fixture
async def database(tmp_path):
    with scratch_database("common_shared", tmp_path) as url:
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with db.sessionmaker() as session:
            session.add_all([Household(id=i, region_code=("370306" if i % 2 else "420102") + "001", head=f"户主{i}")
                             for i in range(1, 251)])
            await session.commit()
        try:
            yield db
        finally:
            await db.dispose()


@pytest.fixture
async def client(database, signing_key, keys_dir):
    from tefu_common.auth import KeySet, TokenVerifier

    verifier = TokenVerifier(KeySet.from_file(keys_dir / "issuer-jwks.json"), issuer="tefu", audience="tefu-registry")
    app = households_app(database, verifier)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


def headers(signing_key, **claims):
    return bearer(mint_token(signing_key, audiences=("tefu-registry",), **claims))


async def test_pages_walk_the_callers_region_once_and_every_read_is_logged(client, database, signing_key):
    clerk = headers(signing_key, role="clerk", region="370306", subject="clerk-zhang")
    seen, cursor = [], None
    while True:
        answer = (await client.get("/v1/households", params={"limit": 40, **({"cursor": cursor} if cursor else {})},
                                   headers=clerk)).json()
        seen += [item["id"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 251, 2))  # Zhoucun's 125, in order, none twice, none of Wuhan's
    async with database.sessionmaker() as session:
        logged = (await session.execute(select(ReadLog.household_id, ReadLog.subject, ReadLog.endpoint))).all()
    assert sorted(h for h, _, _ in logged) == seen
    assert {(s, e) for _, s, e in logged} == {("clerk-zhang", "GET /v1/households")}


async def test_the_last_page_says_so_and_a_forged_cursor_is_a_422_on_cursor(client, signing_key):
    national = headers(signing_key, role="auditor", region="000000")
    answer = (await client.get("/v1/households", params={"limit": 250}, headers=national)).json()
    assert len(answer["items"]) == 250 and answer["next_cursor"] is None
    bad = await client.get("/v1/households", params={"cursor": "not-a-cursor!"}, headers=national)
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid-cursor", "query.cursor")
    too_many = await client.get("/v1/households", params={"limit": MAX_LIMIT + 1}, headers=national)
    assert too_many.status_code == 422


async def test_auditors_read_the_access_log_of_their_region_only(client, signing_key):
    await client.get("/v1/households", params={"limit": 10}, headers=headers(signing_key, role="admin", region="000000"))
    zhoucun = (await client.get("/v1/access-log", headers=headers(signing_key, role="auditor", region="370306"))).json()
    assert {row["household_id"] for row in zhoucun["items"]} == {1, 3, 5, 7, 9}
    assert {row["region_code"][:6] for row in zhoucun["items"]} == {"370306"}
    clerk = await client.get("/v1/access-log", headers=headers(signing_key, role="clerk", region="370306"))
    assert clerk.status_code == 403


def test_scoping_rules():
    caller = Principal.from_claims({"sub": "c", "role": "clerk", "region": "370306", "scope": "", "jti": "j", "exp": 2**31})
    assert covers(caller, "370306001") and not covers(caller, "370305") and not covers(caller, None)
    assert covers("000000", "420102")
    assert str(region_clause(Household.region_code, "000000")) == "true"
    assert "LIKE" in str(scoped(select(Household), Household.region_code, caller))
    with pytest.raises(ValidationFailed) as refused:
        require_within(caller, "420102", field="region_code")
    assert refused.value.to_problem()["code"] == "region-outside-scope"


def test_cursors_are_opaque_round_trips_and_in_memory_pages_agree():
    assert decode_cursor(encode_cursor([42, "2026-01"])) == [42, "2026-01"]
    items = list(range(7))
    first, cursor = page_of(items, key=lambda i: (i,), page=PageRequest(None, 3))
    second, cursor2 = page_of(items, key=lambda i: (i,), page=PageRequest(cursor, 3))
    third, cursor3 = page_of(items, key=lambda i: (i,), page=PageRequest(cursor2, 3))
    assert (first, second, third, cursor3) == ([0, 1, 2], [3, 4, 5], [6], None)


async def test_group_commit_writes_every_row_and_fails_the_waiters_when_it_cannot():
    written: list[dict] = []

    class Sink:
        fail = False

        async def write_log(self, rows):
            if self.fail:
                raise OSError("disk full")
            written.extend(rows)

    sink = Sink()
    group = GroupCommit(sink)
    reader = Reader("his-1", Role.hospital.value, "H1", "GET /v1/cards/{card_no}")
    import asyncio

    await asyncio.gather(*(group.record(READS.row(reader, household_id=i, region_code="370306")) for i in range(50)))
    assert sorted(row["household_id"] for row in written) == list(range(50))
    sink.fail = True
    with pytest.raises(Exception) as failed:
        await group.record(READS.row(reader, household_id=99, region_code="370306"))
    assert getattr(failed.value, "status", None) == 503
    await group.stop()


async def test_a_descending_page_walks_newest_first_without_gaps(database):
    async with database.sessionmaker() as session:
        seen, cursor = [], None
        while True:
            rows, cursor = await keyset_page(session, select(Household), key=[Household.id],
                                             page=PageRequest(cursor=cursor, limit=60), descending=True)
            seen += [row.id for row in rows]
            if cursor is None:
                break
    assert seen == list(range(250, 0, -1))
