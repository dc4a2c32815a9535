"""The loop that delivers notices to the registry, in every replica (delivery is idempotent)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_payments.notices.service import send_pending

log = logging.getLogger("tefu.payments.notices")


class NoticeSender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], registry: Any, *, interval: float) -> None:
        self.sessionmaker = sessionmaker
        self.registry = registry
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="register-notices")

    def wake(self) -> None:
        """A return file just recorded notices: send them now rather than at the next round."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await send_pending(self.sessionmaker, self.registry):
                    pass  # a full round: there may be more
            except Exception:  # noqa: BLE001 - the database away, say: the next round tries again
                log.exception("delivering notices to the registry failed; retrying in %.0f s", self.interval)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
