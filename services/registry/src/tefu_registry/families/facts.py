"""A family's facts on a date, in the shape the eligibility service's ``POST /v1/evaluate`` takes.

Facts carry no names, ID numbers, phones or accounts: only what the rules need (dates, the
child's fate, certificates, pension membership). The bulk form streams every family under a
region as NDJSON in keyset-paged chunks, so memory stays flat however many families there are.
On PostgreSQL the documents of a chunk are computed by the database (facts_sql.py), three chunks
at a time; elsewhere they are built here from plain column rows (no decryption, no ORM objects).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_common.access_log import Reader
from tefu_common.money import MoneyDecimal
from tefu_common.request_context import current_request_id
from tefu_common.scoping import region_clause
from tefu_registry.access_log.models import ACCESS_LOG
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.timeline import (
    Fact,
    child_history,
    child_state,
    effective_facts,
    later_children,
    marriage,
    parent_death,
    region_on,
    status_flag,
)
from tefu_registry.families.facts_sql import CHUNK_SETTINGS, statements_for
from tefu_registry.families.models import PARENT_ROLES, Family, Member


class ParentFacts(BaseModel):
    id: int = Field(description="Member id, to name the recipient of a payment.")
    role: Literal["mother", "father"]
    birth_date: date | None
    death_date: date | None
    in_resident_pension: bool
    monthly_basic_pension: MoneyDecimal | None


class ChildHistoryEntry(BaseModel):
    kind: Literal["disabled", "level_changed", "recovered", "died"] = Field(
        description="disabled: a disability certificate issued (again, after a recovery); level_changed: the level "
                    "re-assessed while the certificate is held; recovered: the disability no longer counts; died.")
    on: date
    level: int | None = Field(description="1 (most severe) to 4, for disabled and level_changed.")
    certificate: str | None = Field(
        description="The certificate's disability category (GB/T 26341 digit, 1–7) of a disabled entry; the "
                    "certificate number embeds the child's ID number and is never sent.")


class ChildFacts(BaseModel):
    id: int
    birth_date: date | None
    adopted: bool
    adopted_on: date | None = Field(description="The adoption date of an adopted child (Foshan counts it).")
    status: Literal["deceased", "disabled", "living"] = Field(
        description="The child's state on the date: living: neither died nor certified (kept for older readers; "
                    "`history` says what happened when).")
    event_date: date | None = Field(description="The death date, or the first certification date.")
    disability_level: int | None
    recovered_on: date | None
    history: list[ChildHistoryEntry] = Field(
        description="Every certification, level change, recovery and the death up to the date, in the order they "
                    "happened (corrections applied): a child certified disabled and later dead was a disabled "
                    "family until the death and a bereaved one after. Nothing follows the death.")


class MarriageEntry(BaseModel):
    kind: Literal["divorced", "remarried"]
    on: date
    member: Literal["mother", "father"] | None = Field(description="Who remarried; null for a divorce (the couple).")


class LaterChildFacts(BaseModel):
    kind: Literal["birth", "adoption"]
    date: date
    assisted_reproduction: bool
    parent: Literal["mother", "father"] | None = Field(
        description="The parent whose child it is alone (with a new spouse); null: the couple's child.")


class FamilyFactsBody(BaseModel):
    region_code: str
    hukou_type: Literal["urban", "rural"]
    honor_certificate: bool
    assistance_certificate: bool
    low_income: bool
    extreme_poverty: bool
    parents: list[ParentFacts]
    child: ChildFacts | None
    later_children: list[LaterChildFacts]
    marriage: list[MarriageEntry] = Field(description="The parents' divorce and remarriages up to the date, in order.")


class FamilyFacts(BaseModel):
    """``{"as_of", "family"}`` is the body of ``POST /v1/evaluate``; ``family_id`` names the family."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "family_id": 17, "as_of": "2026-11-23",
        "family": {
            "region_code": "370306", "hukou_type": "rural", "honor_certificate": True, "assistance_certificate": False,
            "low_income": False, "extreme_poverty": False,
            "parents": [{"id": 51, "role": "mother", "birth_date": "1965-03-02", "death_date": None,
                         "in_resident_pension": True, "monthly_basic_pension": "150.00"},
                        {"id": 52, "role": "father", "birth_date": "1963-07-09", "death_date": None,
                         "in_resident_pension": False, "monthly_basic_pension": None}],
            "child": {"id": 53, "birth_date": "1990-05-01", "adopted": False, "adopted_on": None, "status": "deceased",
                      "event_date": "2019-03-10", "disability_level": 2, "recovered_on": None,
                      "history": [{"kind": "disabled", "on": "2015-06-01", "level": 2, "certificate": "4"},
                                  {"kind": "died", "on": "2019-03-10", "level": None, "certificate": None}]},
            "later_children": [],
            "marriage": [],
        },
    }]})

    family_id: int
    as_of: date
    family: FamilyFactsBody


def _held(number: str | None, issued_on: date | None, as_of: date) -> bool:
    return bool(number) and (issued_on is None or issued_on <= as_of)


def facts_document(family: Any, members: list[Any], facts: list[Fact], as_of: date) -> dict[str, Any]:
    """Plain JSON-ready dict; ``family`` and ``members`` are ORM objects or column rows alike."""
    parents = []
    child_doc = None
    for member in members:
        if member.role in PARENT_ROLES:
            died = parent_death(facts, member.role, as_of)
            pension = member.monthly_basic_pension
            parents.append({
                "id": member.id, "role": member.role, "birth_date": _iso(member.birth_date),
                "death_date": _iso(died), "in_resident_pension": bool(member.in_resident_pension),
                "monthly_basic_pension": f"{Decimal(pension):.2f}" if pension is not None else None,
            })
        elif member.role == "child":
            state = child_state(facts, as_of)
            status = "deceased" if state.died_on else "disabled" if state.certified_on else "living"
            child_doc = {
                "id": member.id, "birth_date": _iso(member.birth_date), "adopted": bool(member.adopted),
                "adopted_on": _iso(member.joined_on) if member.adopted else None,
                "status": status, "event_date": _iso(state.died_on or state.certified_on),
                "disability_level": state.level, "recovered_on": _iso(state.recovered_on),
                "history": child_history(facts, as_of),
            }
    return {
        "family_id": family.id,
        "as_of": as_of.isoformat(),
        "family": {
            "region_code": region_on(facts, family.registered_region_code, as_of),
            "hukou_type": family.hukou_type,
            "honor_certificate": _held(family.honor_certificate_no, family.honor_certificate_date, as_of),
            "assistance_certificate": _held(family.assistance_certificate_no, family.assistance_certificate_date, as_of),
            "low_income": status_flag(facts, "low_income_began", "low_income_ended", as_of),
            "extreme_poverty": status_flag(facts, "extreme_poverty_began", "extreme_poverty_ended", as_of),
            "parents": parents,
            "child": child_doc,
            "later_children": [
                {"kind": "birth" if f.kind == "later_child_born" else "adoption", "date": f.occurred_on.isoformat(),
                 "assisted_reproduction": bool(f.details.get("assisted_reproduction", False)),
                 "parent": f.member if f.member in PARENT_ROLES else None}
                for f in later_children(facts, as_of)
            ],
            "marriage": marriage(facts, as_of),
        },
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


FAMILY_COLUMNS = (
    Family.id, Family.registered_region_code, Family.hukou_type, Family.honor_certificate_no,
    Family.honor_certificate_date, Family.assistance_certificate_no, Family.assistance_certificate_date,
)
MEMBER_COLUMNS = (
    Member.family_id, Member.id, Member.role, Member.birth_date, Member.adopted, Member.joined_on,
    Member.in_resident_pension,
    Member.monthly_basic_pension,
)
EVENT_COLUMNS = (
    LifeEvent.family_id, LifeEvent.id, LifeEvent.kind, LifeEvent.occurred_on, LifeEvent.member_role,
    LifeEvent.details, LifeEvent.corrects_event_id,
)


def _chunk_filter(query: Any, family_id: Any, *, after: int, last: int, region: str) -> Any:
    query = query.where(family_id > after, family_id <= last, Family.id > after, Family.id <= last)
    return query.where(region_clause(Family.region_code, region))


async def _read_chunk_generic(session: AsyncSession, region: str, after: int, chunk_size: int) -> tuple[list, dict, dict]:
    # Plain Core rows: no ORM bookkeeping for hundreds of thousands of rows.
    connection = await session.connection()
    query = (select(*FAMILY_COLUMNS, Family.region_code).where(Family.id > after, region_clause(Family.region_code, region))
             .order_by(Family.id).limit(chunk_size))
    families = (await connection.execute(query)).all()
    if not families:
        return [], {}, {}
    last = families[-1].id
    members: dict[int, list[Any]] = defaultdict(list)
    member_query = select(*MEMBER_COLUMNS).join(Family, Family.id == Member.family_id).order_by(Member.family_id, Member.id)
    for row in await connection.execute(_chunk_filter(member_query, Member.family_id, after=after, last=last, region=region)):
        members[row.family_id].append(row)
    events: dict[int, list[Any]] = defaultdict(list)
    event_query = select(*EVENT_COLUMNS).join(Family, Family.id == LifeEvent.family_id)
    for row in await connection.execute(_chunk_filter(event_query, LifeEvent.family_id, after=after, last=last, region=region)):
        events[row.family_id].append(row)
    return families, members, events


async def _read_chunk(
    sessionmaker: async_sessionmaker[AsyncSession], reader: Reader, region: str, after: int, chunk_size: int
) -> tuple[list[Any], dict[int, list[Any]], dict[int, list[Any]]]:
    """One chunk of families with their members and events, and the access-log rows for it.

    The reads are logged with one INSERT ... SELECT: no per-family round trips or parameters.
    """
    async with sessionmaker() as session:
        families, members, events = await _read_chunk_generic(session, region, after, chunk_size)
        if families:
            read = (select(Family.id.label("family_id"), Family.region_code.label("region_code"))
                    .where(Family.id > after, Family.id <= families[-1].id, region_clause(Family.region_code, region)))
            await ACCESS_LOG.record_from(session, reader, read, ["family_id", "region_code"], region_code=region)
            await session.commit()
    return families, members, events


# Families per chunk. On PostgreSQL three chunks are in flight: while one waits for its commit (the
# access log reaching the disk) or is being sent, the other two keep the database's cores busy.
# Small chunks keep that queue moving (measured faster than chunks of 10000, and lighter on memory).
GENERIC_CHUNK_SIZE = 10000
POSTGRESQL_CHUNK_SIZE = 2500
POSTGRESQL_PARALLEL = 3


async def stream_region_facts(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    reader: Reader,
    region: str,
    as_of: date,
    chunk_size: int | None = None,
) -> AsyncIterator[bytes]:
    """NDJSON: one facts document a line, every family under ``region`` in id order, each read
    logged for ``reader`` (the caller must cover ``region``: see ``repository.RegionFacts``)."""
    async with sessionmaker() as session:
        dialect = session.bind.dialect
    if dialect.name == "postgresql":
        stream = _stream_postgresql(sessionmaker, reader=reader, region=region, dialect=dialect, as_of=as_of,
                                    chunk_size=chunk_size or POSTGRESQL_CHUNK_SIZE, parallel=POSTGRESQL_PARALLEL)
    else:
        stream = _stream_generic(sessionmaker, reader=reader, region=region, as_of=as_of,
                                 chunk_size=chunk_size or GENERIC_CHUNK_SIZE)
    async for chunk in stream:
        yield chunk


async def _stream_generic(
    sessionmaker: async_sessionmaker[AsyncSession], *, reader: Reader, region: str, as_of: date, chunk_size: int
) -> AsyncIterator[bytes]:
    """Facts built in Python from plain rows; the next chunk is read while this one is serialised."""
    pending = asyncio.create_task(_read_chunk(sessionmaker, reader, region, 0, chunk_size))
    try:
        while True:
            families, members, events = await pending
            if not families:
                return
            pending = asyncio.create_task(_read_chunk(sessionmaker, reader, region, families[-1].id, chunk_size))
            yield b"".join(
                orjson.dumps(facts_document(f, members[f.id], effective_facts(events[f.id]), as_of), option=orjson.OPT_APPEND_NEWLINE)
                for f in families
            )
    finally:
        if not pending.done():
            pending.cancel()


async def _postgresql_chunk(
    sessionmaker: async_sessionmaker[AsyncSession], facts: Any, reader: Reader, region: str, after: int, last: int,
    as_of: date,
) -> bytes:
    async with sessionmaker() as session:
        connection = await session.connection()
        await connection.execute(CHUNK_SETTINGS)
        documents = (await connection.execute(facts, {
            "after": after, "last": last, "as_of": as_of, "as_of_text": as_of.isoformat(),
            "read_at": datetime.now(timezone.utc), "region": region, "subject": reader.subject, "role": reader.role,
            "institution": reader.institution, "endpoint": reader.endpoint, "request_id": current_request_id(),
        })).scalars().all()
        await session.commit()
    return ("\n".join(documents) + "\n").encode()


async def _stream_postgresql(
    sessionmaker: async_sessionmaker[AsyncSession], *, reader: Reader, region: str, dialect: Any, as_of: date,
    chunk_size: int, parallel: int,
) -> AsyncIterator[bytes]:
    """Facts computed by PostgreSQL (facts_sql.py), ``parallel`` chunks at a time, yielded in id order."""
    chunk_end, facts = statements_for(region, dialect)
    in_flight: deque[asyncio.Task[bytes]] = deque()
    after = 0
    try:
        async with sessionmaker() as session:
            while True:
                while len(in_flight) < parallel:
                    last = (await session.execute(chunk_end, {"after": after, "limit": chunk_size})).scalar()
                    if last is None:
                        break
                    in_flight.append(asyncio.create_task(_postgresql_chunk(sessionmaker, facts, reader, region, after, last, as_of)))
                    after = last
                if not in_flight:
                    return
                yield await in_flight.popleft()
    finally:
        for task in in_flight:
            task.cancel()
