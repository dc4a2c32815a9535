"""The access log of personal data (PIPL), one mechanism for every service.

Each service keeps its own table (its model mixes in :class:`AccessLogColumns`, the columns every
log shares: when, who, for which institution, through which endpoint, the region of the data, the
request id) and its own policy of what a row names (a family, a card, a batch). What is shared is
how rows are written and read:

- :meth:`AccessLog.record` writes the rows of one read in the request's own transaction, in one
  statement however many people the read showed (a payments batch reads thousands at a time), so a
  read that answered is never missing from the log;
- :class:`GroupCommit` commits rows of many concurrent requests together, each request waiting for
  its own row (the hospital desk: no answer leaves before its row is committed);
- :func:`access_log_router` gives auditors ``GET /v1/access-log`` of their region, in the suite's
  page shape, and ``GET /v1/access-log/verify``, the check of the log's hash chain
  (:mod:`tefu_common.access_chain`, which seals the rows after they are written).

Rows are recorded by repositories (:mod:`tefu_common.repository`), never by routers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Index, Integer, String, insert, literal, select, text, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.sql import Select

from tefu_common.access_chain import AccessChain, ChainVerdict, Members
from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession, UtcDateTime
from tefu_common.errors import FieldError, ServiceUnavailable, ValidationFailed, field_path
from tefu_common.i18n import Text
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams, PageRequest, keyset_page, keyset_window
from tefu_common.regions import covering_region
from tefu_common.request_context import current_request_id
from tefu_common.scoping import scoped

log = logging.getLogger("tefu.access_log")

SHARED_COLUMNS = ("at", "subject", "role", "institution", "endpoint", "request_id")


class AccessLogColumns:
    """Columns of every access log; a service's model adds what its rows name."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)  # who read: the token's subject
    role: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str | None] = mapped_column(String(64), index=True)  # the hospital or agency acted for
    endpoint: Mapped[str] = mapped_column(String(200))  # "GET /v1/families/{family_id}"
    # Region of the data read, so auditors see the reads of their own region. None: the read found
    # nothing that has a region (a card number that matched no card), seen by national auditors.
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    request_id: Mapped[str | None] = mapped_column(String(128))
    # The row's place in the log's hash chain, set by the sealer after the row is committed
    # (tefu_common.access_chain); None until then. Not unique on PostgreSQL: an index of a table
    # partitioned by month could only be unique with the month in it.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # hex digest, SHA-256 or SM3

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # What the sealer reads each round, oldest first, without walking the sealed rows.
        unsealed = text("chain_seq IS NULL")
        return (Index(f"ix_{cls.__tablename__}_unsealed", "id", postgresql_where=unsealed, sqlite_where=unsealed),)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reader:
    """Who reads, and through which endpoint: the shared columns of every row a request logs."""

    subject: str
    role: str
    institution: str | None
    endpoint: str

    @classmethod
    def of(cls, caller: Principal, endpoint: str) -> Reader:
        return cls(caller.subject, caller.role.value, caller.institution.id if caller.institution else None, endpoint)

    def columns(self) -> dict[str, Any]:
        return {"at": datetime.now(timezone.utc), "subject": self.subject, "role": self.role,
                "institution": self.institution, "endpoint": self.endpoint, "request_id": current_request_id()}


class AccessLog:
    """Writes the rows of one service's access-log table.

    ``named``: the log's table of what a read showed one by one (the registry's
    ``access_log_family``). With it, a read of several items is one entry, whose ``region_code`` is
    the smallest region covering them all, and one narrow row per item in that table (the item's
    keys are its columns); a read of one item stays one entry naming it. A bulk pass reading a
    million families thus writes a thousand entries, not a million, and the hash chain seals an
    entry with its items, not each item as a row of its own.
    """

    def __init__(self, model: type[AccessLogColumns], *, named: Members | None = None) -> None:
        self.model = model
        self.table = model.__table__  # type: ignore[attr-defined]
        self.named = named
        self._unnest: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = {}

    def row(self, reader: Reader, **own: Any) -> dict[str, Any]:
        """A complete row: the reader's shared columns and the row's own (for :class:`GroupCommit`)."""
        return {**reader.columns(), **own}

    async def record(self, session: AsyncSession, reader: Reader, rows: Iterable[dict[str, Any]]) -> int:
        """Log the items of ``rows`` (each naming what was read, with its ``region_code``) in the
        request's transaction: one row per item, in one statement, or, for a log with ``named`` and
        several items, one entry and a narrow row per distinct item. Returns how many items were
        recorded."""
        items = list(rows)
        if not items:
            return 0
        if self.named is not None and len(items) > 1:
            # What the read showed, each once: a work list shows a family once per member listed.
            shown = list({tuple(sorted(item.items())): item for item in items}.values())
            covered = covering_region(item["region_code"] for item in shown)
            entry_id = await self.record_one(session, reader, region_code=covered)
            await self._insert(session, self.named.table, {self.named.entry: entry_id}, shown)
        else:
            await self._insert(session, self.table, reader.columns(), items)
        return len(items)

    async def record_one(self, session: AsyncSession, reader: Reader, **own: Any) -> int:
        """Write one row and return its id (for a log whose rows have rows of their own)."""
        return int(await session.scalar(insert(self.table).values(**reader.columns(), **own).returning(self.table.c.id)))

    async def record_from(self, session: AsyncSession, reader: Reader, source: Select[Any], columns: Sequence[str],
                          *, region_code: str) -> None:
        """Log one item per row of ``source`` (which selects ``columns``), inside the database: for
        a bulk read of ``region_code``, the items never travel through the service."""
        items = source.subquery().c
        if self.named is not None:
            entry_id = await self.record_one(session, reader, region_code=region_code)
            entry = literal(entry_id, self.named.table.c[self.named.entry].type).label(self.named.entry)
            await session.execute(insert(self.named.table).from_select([self.named.entry, *columns], select(entry, *items)))
            return
        shared = reader.columns()
        constants = [literal(shared[name], self.table.c[name].type).label(name) for name in SHARED_COLUMNS]
        await session.execute(insert(self.table).from_select([*SHARED_COLUMNS, *columns], select(*constants, *items)))

    async def _insert(self, session: AsyncSession, table: Any, constants: dict[str, Any], items: list[dict[str, Any]]) -> None:
        """Rows of ``table``: the same ``constants`` in each, and each item's own columns."""
        if len(items) > 1 and session.bind.dialect.name == "postgresql":
            own = tuple(sorted({key for item in items for key in item}))
            await session.execute(self._unnest_statement(table, tuple(constants), own), {
                **constants, **{f"v_{key}": [item.get(key) for item in items] for key in own}})
        else:
            await session.execute(insert(table), [{**constants, **item} for item in items])

    def _unnest_statement(self, table: Any, constants: tuple[str, ...], own: tuple[str, ...]) -> Any:
        # One INSERT of arrays: an INSERT executed once per row costs PostgreSQL far more than the rows.
        key = (table.name, constants, own)
        statement = self._unnest.get(key)
        if statement is None:
            dialect = postgresql.dialect()
            shared = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect)})" for name in constants)
            arrays = ", ".join(f"CAST(:v_{name} AS {table.c[name].type.compile(dialect)}[])" for name in own)
            statement = self._unnest[key] = text(
                f"INSERT INTO {table.name} ({', '.join((*constants, *own))}) "
                f"SELECT {shared}, item.* FROM unnest({arrays}) AS item ({', '.join(own)})")
        return statement


# --- group commit ----------------------------------------------------------------------------------


class LogSink(Protocol):
    async def write_log(self, rows: list[dict[str, Any]]) -> None: ...


class GroupCommit:
    """Commits access-log rows of concurrent requests together, each request waiting for its own.

    No answer leaves without its committed row (if the write fails, the request fails with 503).
    There is no hand-over at low load: a request that finds no write going on writes its row
    itself (with any that gathered), and requests arriving meanwhile wait for the next write,
    which a task makes, so the request that wrote can answer at once. Under load each request
    shares one short commit with its neighbours instead of paying a commit of its own.
    """

    def __init__(self, sink: LogSink, *, batch_size: int = 500) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writing = False
        self._drain: asyncio.Task[None] | None = None

    async def record(self, row: dict[str, Any]) -> None:
        """Return once ``row`` is committed; ServiceUnavailable if it could not be."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        try:
            if not self._writing:
                await self._write_until(done)
            # A client that hangs up cancels only its wait: the row stays queued and is written.
            await done
        except Exception:
            raise ServiceUnavailable(Text("这次查询未能记入访问日志，请稍后重试。",
                                          "The read could not be recorded in the access log; retry shortly."),
                                     code="access-log-unavailable", headers={"Retry-After": "2"}) from None

    async def _write_until(self, done: asyncio.Future[None] | None) -> None:
        """Write groups until ``done`` is (None: until nothing is left), then hand the rest to a task."""
        self._writing = True
        group: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        try:
            while self._pending and (done is None or not done.done()):
                group, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size:]
                await self._write(group)
                group = []
        finally:
            # Rows that came meanwhile, or a group cut short by a cancellation (the service
            # stopping; its rows may then be logged twice, never lost), go to a task.
            self._pending[:0] = group
            if self._pending:
                self._drain = asyncio.get_running_loop().create_task(self._write_until(None))
            else:
                self._writing = False

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        while self._drain is not None and not self._drain.done():
            await asyncio.gather(self._drain, return_exceptions=True)
        if self._pending and not self._writing:
            await self._write_until(None)

    async def _write(self, group: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            await self.sink.write_log([row for row, _ in group])
        except Exception as exc:  # every waiter learns of it; the next write starts afresh
            log.warning("access log write failed for %d rows: %s", len(group), type(exc).__name__)
            for _, done in group:
                if not done.done():
                    done.set_exception(exc)
                    done.exception()  # marked retrieved: a waiter that hung up must not warn at exit
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)


# --- auditors' endpoint ----------------------------------------------------------------------------

Auditor = Annotated[Principal, Depends(require(Scope.audit_read, roles=[Role.auditor, Role.admin]))]


@dataclass(frozen=True)
class SharedFilters:
    subject: str | None
    institution: str | None
    since: datetime | None
    until: datetime | None


async def _shared_filters(
    subject: str | None = Query(None, max_length=128, description="Who read: a token's subject."),
    institution: str | None = Query(None, max_length=64, description="The hospital or agency a machine client acted for."),
    since: datetime | None = Query(None, description="From this time on (ISO 8601)."),
    until: datetime | None = Query(None, description="Before this time (ISO 8601)."),
) -> SharedFilters:
    return SharedFilters(subject, institution, since, until)


Present = Callable[[AsyncSession, list[Any]], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Narrowing:
    """What one request of ``GET /v1/access-log`` asks, for a listing to apply to its own selects
    (see :func:`access_log_router`): the caller's region, the shared filters, the service's own
    conditions and the page."""

    caller: Principal
    shared: SharedFilters
    conditions: list[Any]
    page: PageRequest
    dialect: str  # postgresql | sqlite: SQLite has no LATERAL, say

    def of_entries(self, statement: Any, source: Any) -> Any:
        """``statement`` with the shared filters on ``source``'s columns (who, for whom, when)."""
        for column, value in (("subject", self.shared.subject), ("institution", self.shared.institution)):
            if value:
                statement = statement.where(source.c[column] == value)
        if self.shared.since is not None:
            statement = statement.where(source.c.at >= self.shared.since)
        if self.shared.until is not None:
            statement = statement.where(source.c.at < self.shared.until)
        return statement

    def of_items(self, statement: Any, source: Any) -> Any:
        """``statement`` limited to the caller's region by ``source.c.region_code``, with the
        service's conditions (functions of ``source``'s columns, or conditions as they stand)."""
        statement = scoped(statement, source.c.region_code, self.caller)
        for condition in self.conditions:
            statement = statement.where(condition(source) if callable(condition) else condition)
        return statement

    def window(self, statement: Any, key: Sequence[Any]) -> Any:
        """``statement`` limited to the rows of this page and one more, in ``key`` order."""
        return keyset_window(statement, key=key, page=self.page)


Listing = Callable[[Narrowing], Sequence[Any]]


def access_log_router(
    *,
    log: AccessLog,
    item: type[BaseModel],
    description: str,
    filters: Callable[..., Any] | None = None,
    present: Present | None = None,
    example: dict[str, Any] | None = None,
    chain: AccessChain | None = None,
    listing: Listing | None = None,
    order: Sequence[str] = ("id",),
) -> APIRouter:
    """``GET /v1/access-log`` for auditors (and admins) of a region, oldest first, in pages.

    ``filters`` is a dependency of the service's own query parameters returning the SQL conditions
    they add; ``present`` turns a page of rows into ``item``s (joining what the rows name), by
    default field by field. ``chain``: the log's hash chain, checked by ``GET /v1/access-log/verify``.
    ``listing``: what the pages list, if not the log's entries (the registry's: one item per family
    a read showed): a function of the request's :class:`Narrowing` giving selects of the same
    columns (the shared ones, ``region_code``, the service's), each already narrowed and limited to
    its window of the page, so that each is planned for its own order and limit and reads a page's
    rows through its indexes, not its whole region; the page is the first rows of their union in
    ``order``, which ends with a key of the items.
    """
    model = log.model
    router = APIRouter(prefix="/v1", tags=["access log"])
    extra = filters or (lambda: [])

    async def default_present(session: AsyncSession, rows: list[Any]) -> list[Any]:
        return [item.model_validate(row, from_attributes=True) for row in rows]

    shown = present or default_present
    responses: dict[int | str, dict[str, Any]] = problems(401, 403, 422)
    if example is not None:
        responses[200] = {"content": {"application/json": {"example": {"items": [example], "next_cursor": None}}}}

    @router.get("/access-log", response_model=Page[item], summary="个人信息访问日志：谁在何时读了谁的数据",  # type: ignore[valid-type]
                description=description, responses=responses)
    async def access_log(session: DbSession, caller: Auditor, page: PageParams,
                         shared: SharedFilters = Depends(_shared_filters), conditions: list[Any] = Depends(extra)) -> Any:
        narrowing = Narrowing(caller, shared, conditions, page, session.bind.dialect.name)
        if listing is None:  # the log's entries, as ORM objects (what ``present`` of a service is given)
            table = model.__table__
            statement = narrowing.of_items(narrowing.of_entries(select(model), table), table)
            rows, next_cursor = await keyset_page(session, statement, key=[table.c[name] for name in order], page=page)
        else:
            # Each window a subquery of its own: its order and limit stay its own (SQLite allows
            # neither on a member of a UNION).
            items = union_all(*(select(window.subquery()) for window in listing(narrowing))).subquery("items")
            rows, next_cursor = await keyset_page(session, select(items), key=[items.c[name] for name in order],
                                                  page=page, scalars=False)
        return Page[item](items=await shown(session, rows), next_cursor=next_cursor)  # type: ignore[valid-type]

    if chain is not None:
        _verify_route(router, chain)
    return router


VERIFY_DESCRIPTION = (
    "校验访问日志的哈希链是否完整：逐条按链序重算每条记录的哈希，并与链头比对；若不完整，指出第一处断点"
    "（内容被改动、缺少记录、多出记录、链尾被截断）。"
    "Every row is sealed into a hash chain (SHA-256, or SM3 with TEFU_CRYPTO=sm) by a background task "
    "about a second after it is written; this walks the chain in order, recomputes each link and compares "
    "the last with the chain's head. `first_broken` names the first position where it breaks: `row-altered` "
    "(the row, or the people it names, changed), `row-missing` (a row was deleted), `row-inserted` (a second "
    "row claims a position), `tail-truncated` (the newest rows were deleted), `head-mismatch`/`head-missing`. "
    "`unsealed` counts rows not sealed yet. The chain is a property of the whole log and the answer shows "
    "only counts, positions and row ids, no personal data: it is the same for every auditor (and admin), "
    "whatever their region. Keep `head_hash` and `sealed_through` aside: a later answer must extend them. "
    "With `anchor_seq` and `anchor_hash` (a `sealed_through` and `head_hash` kept from an earlier answer) the "
    "link at that position must still be that hash, or `anchor-mismatch`: the chain was recomputed since. "
    "409 `access-chain-algorithm-mismatch` if the chain was computed with another digest than TEFU_CRYPTO "
    "now selects."
)


def _verify_route(router: APIRouter, chain: AccessChain) -> None:
    example = {"whole": False, "algorithm": "sha256", "rows_checked": 1023, "sealed_through": 4096,
               "head_hash": "9f2c…", "unsealed": 3,
               "first_broken": {"seq": 1024, "id": 1031, "at": "2026-11-23T08:15:02.118000Z",
                                "reason": "内容被改动", "reason_code": "row-altered"}}
    responses: dict[int | str, dict[str, Any]] = problems(401, 403, 409, 422)
    responses[200] = {"content": {"application/json": {"example": example}}}

    @router.get("/access-log/verify", response_model=ChainVerdict, summary="校验访问日志哈希链是否完整",
                description=VERIFY_DESCRIPTION, responses=responses)
    async def verify_access_log(
        request: Request, caller: Auditor,
        anchor_seq: int | None = Query(None, ge=1, le=2**63 - 1, description=(
            "A `sealed_through` kept from an earlier answer; with `anchor_hash`, the link there must be that hash.")),
        anchor_hash: str | None = Query(None, pattern="^[0-9a-fA-F]{64}$", description=(
            "The `head_hash` kept with `anchor_seq`.")),
    ) -> ChainVerdict:
        if (anchor_seq is None) != (anchor_hash is None):
            field = "anchor_hash" if anchor_hash is None else "anchor_seq"
            raise ValidationFailed([FieldError(field_path("query", field), "anchor-incomplete", Text(
                "anchor_seq 与 anchor_hash 须同时给出", "anchor_seq and anchor_hash go together"))])
        anchor = (anchor_seq, anchor_hash) if anchor_seq is not None and anchor_hash is not None else None
        # The walk reads in chunks on connections of its own (a short transaction each), not in a
        # request's session: a long log must not pin one snapshot for the whole walk.
        return await chain.verify(request.app.state.database.engine, anchor)
