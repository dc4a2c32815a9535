"""The service HTTP client retries only what is safe to repeat, a bounded number of times.

The peer is a real HTTP server on a loopback port that answers from a script, so the client's
transport, timeouts and retries run exactly as they do against another service.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tefu_common.http_client import StaticTokenAuth, service_client
from tefu_common.request_context import set_request_id


class ScriptedServer:
    """Answers request n with statuses[n] (the last status repeats); records what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[dict[str, str]] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if int(headers.get("content-length", 0)):
            await reader.readexactly(int(headers["content-length"]))
        self.requests.append({"line": lines[0], **headers})
        status = self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)]
        body = b'{"n": %d}' % len(self.requests)
        writer.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\nRetry-After: 0\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(body), body)
        )
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def test_get_is_retried_until_it_succeeds():
    server = ScriptedServer([503, 502, 200])
    async with server as url, service_client(url, retries=3) as client:
        response = await client.get("/v1/facts")
    assert response.status_code == 200 and response.json() == {"n": 3}
    assert len(server.requests) == 3


async def test_retries_are_bounded():
    server = ScriptedServer([503])
    async with server as url, service_client(url, retries=2) as client:
        response = await client.get("/v1/facts")
    assert response.status_code == 503
    assert len(server.requests) == 3  # the first try and two retries


async def test_plain_post_is_never_repeated():
    server = ScriptedServer([503, 200])
    async with server as url, service_client(url, retries=3) as client:
        response = await client.post("/v1/batches", json={"period": "2026-11"})
    assert response.status_code == 503
    assert len(server.requests) == 1


async def test_post_with_idempotency_key_is_retried():
    server = ScriptedServer([504, 201])
    async with server as url, service_client(url, retries=3) as client:
        response = await client.post("/v1/batches", json={}, headers={"Idempotency-Key": "batch-1"})
    assert response.status_code == 201
    assert len(server.requests) == 2


async def test_request_id_and_token_are_attached():
    server = ScriptedServer([200])
    set_request_id("trace-9")
    try:
        async with server as url, service_client(url, auth=StaticTokenAuth("tok")) as client:
            await client.get("/v1/whoami")
    finally:
        set_request_id(None)
    assert server.requests[0]["x-request-id"] == "trace-9"
    assert server.requests[0]["authorization"] == "Bearer tok"


async def test_unreachable_peer_fails_after_bounded_retries():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        async with service_client(f"http://127.0.0.1:{port}", retries=2, timeout=1) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("/healthz")
