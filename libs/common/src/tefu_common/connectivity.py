"""Telling "the database cannot be reached" apart from "this query is wrong".

A lost connection, a refused one or a pool that cannot hand one out in time mean the service
should answer 503 and retry later; a constraint violation or a syntax error is a bug or a
conflict and must not be mistaken for an outage.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, ConnectionError, asyncio.TimeoutError)
_DRIVER_CONNECTION_ERRORS = frozenset({"PostgresConnectionError", "CannotConnectNowError", "ConnectionDoesNotExistError"})


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the database could not be reached (not a bad query)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (OperationalError, InterfaceError)) and not is_sqlite_error(current):
            return True
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if type(current).__name__ in _DRIVER_CONNECTION_ERRORS:
            return True
        current = current.__cause__ or current.__context__
    return False


def is_sqlite_error(exc: DBAPIError) -> bool:
    # SQLite reports constraint and syntax problems as OperationalError too; only
    # "unable to open" means the database itself is unreachable.
    module = type(exc.orig).__module__ if exc.orig is not None else ""
    return module.startswith("sqlite3") and "unable to open" not in str(exc.orig)
