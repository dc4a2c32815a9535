"""One page shape for every list in the suite.

    GET /v1/families?cursor=<opaque>&limit=100
    → {"items": [...], "next_cursor": "<opaque>" | null}

``next_cursor`` is null on the last page and otherwise is passed back as ``cursor`` for the next
one; a client written for one list works on every other. Cursors are opaque (base64url of the
sort key of the last item shown), so pages are keyset pages: stable under inserts, and as cheap on
the millionth page as on the first. ``limit`` is at most :data:`MAX_LIMIT` everywhere. A list whose
count a clerk needs, and where counting is cheap, answers ``total`` as well (:class:`CountedPage`).

(The registry's change feed is the one exception, documented there: a feed has no last page.)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tefu_common.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    """A page of a list: its items and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class CountedPage(Page[T], Generic[T]):
    """A page of a list whose size is worth knowing (a clerk's search, say)."""

    total: int = Field(description="How many items the whole list holds (every page together).")


@dataclass(frozen=True)
class PageRequest:
    """``cursor`` and ``limit`` of a request; ``after`` is the decoded sort key (None: first page)."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def after(self) -> list[Any] | None:
        return decode_cursor(self.cursor) if self.cursor else None


async def _page_request(
    cursor: str | None = Query(None, max_length=512, description="`next_cursor` of the previous page; absent for the first."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."),
) -> PageRequest:
    request = PageRequest(cursor or None, limit)
    request.after  # a bad cursor is a 422 on `cursor` before the route runs  # noqa: B018
    return request


PageParams = Annotated[PageRequest, Depends(_page_request)]
"""The ``cursor`` and ``limit`` query parameters, the same on every list."""


def _bad_cursor() -> Exception:
    return Invalid("invalid-cursor", "cursor 无效：请使用上一页返回的 next_cursor",
                   "not a cursor this list gave out: pass the previous page's next_cursor").at("cursor", location="query")


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor for a sort key (ints, strings, dates)."""
    raw = orjson.dumps([v.isoformat() if isinstance(v, (date, datetime)) else v for v in key])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise _bad_cursor() from None
    if not isinstance(key, list) or not key or not all(isinstance(v, (int, str)) for v in key):
        raise _bad_cursor()
    return key


def _coerce(value: Any, column: ColumnElement[Any]) -> Any:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if python_type is int and isinstance(value, int):
            # A cursor that says more than the column can hold was not one this list gave out.
            limit = 2**63 - 1 if isinstance(column.type, BigInteger) else 2**31 - 1
            if not -limit - 1 <= value <= limit:
                raise _bad_cursor()
            return value
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is str:
            return str(value)
        return python_type(value)
    except (TypeError, ValueError):
        raise _bad_cursor() from None


async def keyset_page(
    session: AsyncSession,
    statement: Select[Any],
    *,
    key: Sequence[ColumnElement[Any]],
    page: PageRequest,
    scalars: bool = True,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``statement`` ordered by ``key`` (unique; ascending, or newest first with
    ``descending``), and the next cursor.

    ``key`` must identify a row (end it with the primary key). One row more than the limit is
    read, so the last page says so (``next_cursor`` null) instead of leaving one empty page to
    fetch.
    """
    result = await session.execute(keyset_window(statement, key=key, page=page, descending=descending))
    rows = list(result.scalars().all() if scalars else result.all())
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    last = rows[-1]
    return rows, encode_cursor([_key_value(last, column) for column in key])


def keyset_window(statement: Select[Any], *, key: Sequence[ColumnElement[Any]], page: PageRequest,
                  descending: bool = False) -> Select[Any]:
    """``statement`` limited to the rows of one page and one more (after the cursor, in ``key``
    order): what :func:`keyset_page` runs, and what each part of a page read from several sources
    runs on its own (each part then planned for its own order and limit)."""
    after = page.after
    if after is not None:
        if len(after) != len(key):
            raise _bad_cursor()
        values = [_coerce(v, column) for v, column in zip(after, key, strict=True)]
        left, right = (key[0], values[0]) if len(key) == 1 else (tuple_(*key), tuple_(*values))
        statement = statement.where(left < right if descending else left > right)
    return statement.order_by(*(column.desc() for column in key) if descending else key).limit(page.limit + 1)


def _key_value(row: Any, column: Any) -> Any:
    if hasattr(row, "_mapping"):  # a Row: the key column itself, or an attribute of the entity selected first
        if column in row._mapping:
            return row._mapping[column]
        return getattr(row[0], column.key)
    return getattr(row, column.key)


def page_of(items: Sequence[T], *, key: Callable[[T], Sequence[Any]], page: PageRequest) -> tuple[list[T], str | None]:
    """A page of a list already in memory, sorted by ``key`` (a family's events, the rule catalogue)."""
    ordered = sorted(items, key=lambda item: tuple(key(item)))
    after = page.after
    if after is not None:
        target = tuple(after)
        try:
            ordered = [item for item in ordered if tuple(_plain(v) for v in key(item)) > target]
        except TypeError:
            raise _bad_cursor() from None
    if len(ordered) <= page.limit:
        return list(ordered), None
    shown = list(ordered[: page.limit])
    return shown, encode_cursor(key(shown[-1]))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value
