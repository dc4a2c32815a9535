"""Revoked tokens and clients, as seen by a service that verifies tokens.

The issuer keeps the list (revoked token ids until they expire, revoked clients with the time
of revocation). Other services poll it (``GET /oauth/revocations``) every few seconds and keep
the last copy they got: if the issuer is briefly unreachable, verification goes on with that
copy instead of locking every caller out (a hospital desk must keep working).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

import httpx

from tefu_common.http_client import SERVICE_HEADERS, tls_context

log = logging.getLogger("tefu.auth")


class RevocationCheck(Protocol):
    async def is_revoked(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool: ...


class NoRevocations:
    async def is_revoked(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool:
        return False


class RevocationSnapshot:
    def __init__(self, token_ids: set[str], clients: dict[str, int]) -> None:
        self.token_ids = token_ids
        self.clients = clients  # client id -> unix time it was revoked

    def revokes(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool:
        if token_id in self.token_ids:
            return True
        revoked_at = self.clients.get(client_id) if client_id else None
        return revoked_at is not None and issued_at <= revoked_at

    @classmethod
    def from_document(cls, data: dict) -> RevocationSnapshot:
        return cls(
            {str(t) for t in data.get("token_ids", [])},
            {str(c["client_id"]): int(c["revoked_at"]) for c in data.get("clients", [])},
        )


class RemoteRevocationList:
    """Polls the issuer's revocation list, refreshing at most every ``refresh_seconds``."""

    def __init__(self, url: str, *, refresh_seconds: float = 15.0) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self._snapshot = RevocationSnapshot(set(), {})
        self._fetched_at = 0.0
        self._loaded = False
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None

    async def _refresh(self) -> None:
        async with self._lock:
            if self._fetched_at and time.monotonic() - self._fetched_at < self.refresh_seconds:
                return
            self._fetched_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=3.0, headers=SERVICE_HEADERS, verify=tls_context()) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                self._snapshot = RevocationSnapshot.from_document(response.json())
                self._loaded = True
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning("revocation list not refreshed from %s: %s", self.url, exc)

    async def is_revoked(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool:
        if not self._fetched_at or time.monotonic() - self._fetched_at >= self.refresh_seconds:
            if not self._loaded:
                await self._refresh()
            elif self._background is None or self._background.done():
                # Refresh behind the request: a slow issuer must not slow down every caller.
                self._background = asyncio.create_task(self._refresh())
        return self._snapshot.revokes(token_id=token_id, client_id=client_id, issued_at=issued_at)
