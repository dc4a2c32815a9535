"""Writing desk lookups into the lookup log without losing a row and without slowing the desk.

Group commit: a lookup hands its row to the writer and waits until the row is committed; it
answers only then, so no answer ever leaves without its log row (if the write fails, the lookup
fails with 503). The writer commits whatever rows have arrived as one statement, and while one
group commits, the next one gathers: under load each lookup shares one short commit with its
neighbours instead of paying a commit of its own.

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
    def __init__(self, sink: LogSink, *, batch_size: int = 500) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def record(self, *, subject: str, role: str, institution: str | None, endpoint: str, how: str,
                     card_id: int | None, region_code: str | None, outcome: str) -> None:
        """Return once the row is committed; ServiceUnavailable if it could not be."""
        if self._task is None or self._task.done():
            self.start()
        row = {"at": datetime.now(timezone.utc), "subject": subject, "role": role, "institution": institution,
               "endpoint": endpoint, "how": how, "card_id": card_id, "region_code": region_code, "outcome": outcome,
               "request_id": current_request_id()}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        self._wakeup.set()
        try:
            # A client that hangs up cancels only its wait: the row stays queued and is written.
            await done
        except Exception:
            raise ServiceUnavailable("the lookup could not be recorded in the access log; retry shortly",
                                     headers={"Retry-After": "2"}) from None

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="lookup-log-writer")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                group, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
                await self._write(group)
            if self._stopping:
                return

    async def _write(self, group: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            await self.sink.write_log([row for row, _ in group])
        except Exception as exc:  # every waiter learns of it; the writer itself keeps going
            log.warning("lookup log write failed for %d rows: %s", len(group), type(exc).__name__)
            for _, done in group:
                if not done.done():
                    done.set_exception(exc)
                    done.exception()  # marked retrieved: a waiter that hung up must not warn at exit
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)
