"""A service whose database goes away answers 503 problem+json, and recovers by itself.

The service process talks to PostgreSQL through a TCP relay owned by the test; closing the relay
is a database outage as the service sees it (connections refused and dropped), without touching
the PostgreSQL server other tests use.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from tefu_common.testing import database_backend, mint_token

from .conftest import free_port, start_service

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(database_backend() != "postgresql", reason="an outage needs a networked database"),
]


class Relay:
    """A TCP relay that can be cut and restored, running on its own event loop thread."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self.writers |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(5)

    def cut(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cut(), self.loop).result(5)


def poll(url: str, headers: dict[str, str], status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(url, headers=headers, timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_outage_gives_503_and_recovery_needs_no_restart(suite):
    real = make_url(suite.database_urls["payments"])
    relay = Relay(real.host or "127.0.0.1", real.port or 5432)
    relay.start()
    env = suite.env_for("payments", suite.url("registry"))
    env["TEFU_PAYMENTS_DATABASE_URL"] = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    env["TEFU_PAYMENTS_DATABASE_CONNECT_TIMEOUT_SECONDS"] = "2"
    service = start_service("payments", env, suite.log_dir)
    headers = {"Authorization": f"Bearer {mint_token(suite.signing_key, role='clerk')}"}
    try:
        assert httpx.get(f"{service.url}/v1/whoami", headers=headers).status_code == 200

        relay.cut()
        ready = poll(f"{service.url}/readyz", {}, 503)
        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith("application/problem+json")
        assert ready.json()["checks"]["database"].startswith("unreachable")
        request = poll(f"{service.url}/v1/whoami", headers, 503)
        assert request.status_code == 503
        assert request.headers["content-type"].startswith("application/problem+json")
        assert (request.json()["code"], request.json()["title"]) == ("database-unavailable", "数据库暂不可用")
        assert request.headers["retry-after"] == "5"
        assert "Traceback" not in request.text
        assert httpx.get(f"{service.url}/healthz").status_code == 200  # alive, just not ready

        relay.start()
        assert poll(f"{service.url}/readyz", {}, 200).status_code == 200
        assert poll(f"{service.url}/v1/whoami", headers, 200).status_code == 200
        assert service.process.poll() is None  # the same process, never restarted
    finally:
        service.stop()
        relay.cut()
