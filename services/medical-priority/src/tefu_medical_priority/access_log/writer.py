"""Writing desk lookups into the lookup log without losing a row and without slowing the desk.

Group commit: a lookup's row is committed before the lookup answers, so no answer ever leaves
without its log row (if the write fails, the lookup fails with 503). Whatever rows have arrived
are committed as one statement, and while one group commits, the next one gathers: under load
each lookup shares one short commit with its neighbours instead of paying a commit of its own.

(A clerk's read happens inside the request's own transaction and is logged in it instead:
access_log/service.py.)
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Protocol

from tefu_common.errors import ServiceUnavailable
from tefu_common.request_context import current_request_id

log = logging.getLogger("tefu.lookup_log")


class LogSink(Protocol):
    async def write_log(self, rows: list[dict[str, Any]]) -> None: ...


class LookupLog:
    """Group commit without a hand-over at low load: a lookup that finds no write going on writes
    its row itself (with any that gathered), and lookups arriving meanwhile wait for the next
    write, which a task makes, so that the lookup that wrote can give its answer at once."""

    def __init__(self, sink: LogSink, *, batch_size: int = 500) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writing = False
        self._drain: asyncio.Task[None] | None = None

    async def record(self, *, subject: str, role: str, institution: str | None, endpoint: str, how: str,
                     card_id: int | None, region_code: str | None, outcome: str) -> None:
        """Return once the row is committed; ServiceUnavailable if it could not be."""
        row = {"at": datetime.now(timezone.utc), "subject": subject, "role": role, "institution": institution,
               "endpoint": endpoint, "how": how, "card_id": card_id, "region_code": region_code, "outcome": outcome,
               "request_id": current_request_id()}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        try:
            if not self._writing:
                await self._write_until(done)
            # A client that hangs up cancels only its wait: the row stays queued and is written.
            await done
        except Exception:
            raise ServiceUnavailable("the lookup could not be recorded in the access log; retry shortly",
                                     headers={"Retry-After": "2"}) from None

    async def _write_until(self, done: asyncio.Future[None] | None) -> None:
        """Write groups until ``done`` is (None: until nothing is left), then hand the rest to a task."""
        self._writing = True
        group: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        try:
            while self._pending and (done is None or not done.done()):
                group, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
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
            log.warning("lookup log write failed for %d rows: %s", len(group), type(exc).__name__)
            for _, done in group:
                if not done.done():
                    done.set_exception(exc)
                    done.exception()  # marked retrieved: a waiter that hung up must not warn at exit
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)
