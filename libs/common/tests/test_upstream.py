"""Calls to another service end in one of three problems: unavailable (503, retry), refused (502)
or failed (502 ``upstream-error``, never "retry shortly").

The peer is a real HTTP server on a loopback port (a small FastAPI app under uvicorn), so the
client's pool, timeouts and retries run as they do between services.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tefu_common.errors import ValidationFailed
from tefu_common.i18n import Text
from tefu_common.upstream import Upstream, UpstreamFailed, UpstreamRefused, UpstreamUnavailable


def peer() -> FastAPI:
    app = FastAPI()

    @app.get("/busy")
    async def busy() -> JSONResponse:
        return JSONResponse({"detail": "busy"}, status_code=503, headers={"Retry-After": "0"})

    @app.get("/forbidden")
    async def forbidden() -> JSONResponse:
        return JSONResponse({"code": "role-not-allowed", "detail": "角色 service 不能调用此接口"}, status_code=403,
                            media_type="application/problem+json")

    @app.post("/refuse")
    async def refuse() -> JSONResponse:
        return JSONResponse({"code": "region-outside-scope", "detail": "x", "errors": [
            {"field": "body.region", "code": "region-outside-scope", "detail": "420102 不在你的辖区 370306 之内"}]},
            status_code=422, media_type="application/problem+json")

    calls = {"crash": 0, "chained": 0}

    @app.get("/crash")
    async def crash() -> JSONResponse:
        calls["crash"] += 1
        return JSONResponse({"code": "internal-error", "detail": "服务出现意外错误", "request_id": "r-500"},
                            status_code=500, media_type="application/problem+json")

    @app.get("/chained")
    async def chained() -> JSONResponse:
        calls["chained"] += 1
        return JSONResponse({"code": "upstream-error", "upstream_status": 500, "upstream_code": "internal-error",
                             "detail": "登记服务处理请求时出错（HTTP 500，请求编号 r-9）"}, status_code=502,
                            media_type="application/problem+json")

    @app.get("/proxy")
    async def proxy() -> Response:
        return Response("<html>502 Bad Gateway</html>", status_code=502, media_type="text/html")

    @app.get("/calls")
    async def counted() -> dict:
        return calls

    @app.get("/whoami")
    async def whoami(request: Request) -> dict:
        return {"authorization": request.headers.get("authorization"), "request_id": request.headers.get("x-request-id")}

    @app.get("/lines")
    async def lines() -> StreamingResponse:
        async def body():
            for i in range(3):
                yield b'{"n": %d}\n' % i
        return StreamingResponse(body(), media_type="application/x-ndjson")

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def peer_url():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(peer(), host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def registry(url: str) -> Upstream:
    return Upstream("registry", Text("登记服务", "the registry"), url, retries=1)


async def test_the_callers_token_and_request_id_travel_with_the_call(peer_url):
    from tefu_common.request_context import set_request_id

    upstream = registry(peer_url)
    set_request_id("req-42")
    try:
        body = await upstream.as_caller("Bearer abc").json("GET", "/whoami")
    finally:
        set_request_id(None)
        await upstream.aclose()
    assert body == {"authorization": "Bearer abc", "request_id": "req-42"}


async def test_busy_or_unreachable_is_unavailable_and_says_when_to_retry(peer_url):
    upstream = registry(peer_url)
    with pytest.raises(UpstreamUnavailable) as busy:
        await upstream.as_caller("Bearer x").request("GET", "/busy")
    await upstream.aclose()
    gone = registry(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamUnavailable) as unreachable:
        await gone.as_caller("Bearer x").request("GET", "/anything")
    await gone.aclose()
    for error in (busy.value, unreachable.value):
        problem = error.to_problem()
        assert (error.status, problem["code"], error.headers["Retry-After"]) == (503, "upstream-unavailable", "10")
        assert "登记服务" in problem["detail"]


async def test_a_refusal_is_a_502_naming_the_upstream_status_and_code(peer_url):
    upstream = registry(peer_url)
    with pytest.raises(UpstreamRefused) as refused:
        await upstream.as_caller("Bearer x").request("GET", "/forbidden")
    problem = refused.value.to_problem()
    assert (refused.value.status, problem["code"], problem["upstream_status"], problem["upstream_code"]) == (
        502, "upstream-refused", 403, "role-not-allowed")
    with pytest.raises(ValidationFailed) as invalid:
        await upstream.as_caller("Bearer x").request("POST", "/refuse", pass_validation=True)
    assert invalid.value.to_problem()["errors"][0]["field"] == "body.region"
    allowed = await upstream.as_caller("Bearer x").request("GET", "/forbidden", allow=(403,))
    assert allowed.status_code == 403
    await upstream.aclose()


async def test_a_failure_is_a_502_upstream_error_not_retry_shortly(peer_url):
    upstream = Upstream("eligibility", Text("资格服务", "eligibility"), peer_url, retries=2)
    calls = upstream.as_caller("Bearer x")
    with pytest.raises(UpstreamFailed) as crashed:
        await calls.request("GET", "/crash")
    problem = crashed.value.to_problem()
    assert (crashed.value.status, problem["code"], problem["upstream_status"], problem["upstream_request_id"]) == (
        502, "upstream-error", 500, "r-500")
    assert "r-500" in problem["detail"] and "稍后重试" not in problem["detail"] and not crashed.value.headers
    # The upstream's own upstream failed: passed on as that failure, naming both services.
    with pytest.raises(UpstreamFailed) as chained:
        await calls.request("GET", "/chained")
    problem = chained.value.to_problem()
    assert (problem["code"], problem["upstream_code"]) == ("upstream-error", "internal-error")
    assert problem["detail"].startswith("资格服务报告：登记服务处理请求时出错")
    # Neither is retried (the same request meets the same defect); a proxy's 502 is unavailability.
    assert (await calls.json("GET", "/calls")) == {"crash": 1, "chained": 1}
    with pytest.raises(UpstreamUnavailable):
        await calls.request("GET", "/proxy")
    await upstream.aclose()


async def test_streams_are_checked_before_the_first_byte(peer_url):
    upstream = registry(peer_url)
    async with upstream.as_caller("Bearer x").stream("GET", "/lines") as response:
        lines = [line async for line in response.aiter_lines()]
    assert lines == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    with pytest.raises(UpstreamUnavailable):
        async with upstream.as_caller("Bearer x").stream("GET", "/busy"):
            pass
    await upstream.aclose()


async def test_an_answer_is_freed_with_its_last_reference_not_by_the_collector(peer_url):
    """httpx ties a response and its stream in a cycle; a bulk caller that kept answers until the
    collector's rare pass over the old generation held hundreds of megabytes of bodies."""
    upstream = registry(peer_url)
    calls = upstream.as_caller("Bearer x")
    gc.disable()
    try:
        response = await calls.request("GET", "/whoami")
        assert response.json()["authorization"] == "Bearer x"  # the body stays readable
        answer = weakref.ref(response)
        del response
        assert answer() is None
        async with calls.stream("GET", "/lines") as streamed:
            assert [line async for line in streamed.aiter_lines()][-1] == '{"n": 2}'
        answer = weakref.ref(streamed)
        del streamed
        assert answer() is None
    finally:
        gc.enable()
        await upstream.aclose()


async def test_no_service_credentials_is_a_503_naming_the_settings():
    with pytest.raises(UpstreamUnavailable) as missing:
        registry("http://127.0.0.1:1").as_service()
    assert "AUTH__CLIENT_ID" in missing.value.to_problem()["detail"]
