"""Errors are problem+json without tracebacks; logs are JSON lines carrying the request id."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from tefu_common.errors import Conflict, install_error_handlers
from tefu_common.logs import JsonFormatter
from tefu_common.money import MoneyDecimal
from tefu_common.request_context import RequestIdMiddleware, set_request_id
from tefu_common.resident_id import ResidentIdStr


class Payment(BaseModel):
    id_number: ResidentIdStr
    amount: MoneyDecimal
    months: int = Field(ge=1)


def demo_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/payments")
    async def pay(payment: Payment) -> dict:
        return {"ok": True}

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("family 42 already holds ID 11010519491231002X", existing_family=42)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_middleware(RequestIdMiddleware)
    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=demo_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def test_domain_error_is_problem_json_with_extensions(client):
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://tefu.example.cn/problems/conflict"
    assert body["title"] == "Conflict" and body["status"] == 409
    assert body["existing_family"] == 42
    assert body["instance"] == "/conflict"


async def test_unexpected_error_hides_internals(client):
    response = await client.get("/boom", headers={"X-Request-ID": "req-boom"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"] == "req-boom"


async def test_validation_names_each_field_and_why(client):
    response = await client.post(
        "/payments", json={"id_number": "110105194912310021", "amount": "1.234", "months": 0}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/validation-error")
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert set(errors) == {"body.id_number", "body.amount", "body.months"}
    assert "check character" in errors["body.id_number"]
    assert "two decimal places" in errors["body.amount"]
    assert "greater than or equal to 1" in errors["body.months"]


async def test_malformed_json_is_a_problem_too(client):
    response = await client.post("/payments", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_json_log_line_carries_request_id_and_extras():
    formatter = JsonFormatter("registry")
    record = logging.makeLogRecord(
        {"name": "tefu.test", "levelno": logging.INFO, "levelname": "INFO", "msg": "imported %d rows", "args": (3214,)}
    )
    record.import_id = "imp-1"
    set_request_id("req-77")
    try:
        entry = json.loads(formatter.format(record))
    finally:
        set_request_id(None)
    assert entry["message"] == "imported 3214 rows"
    assert (entry["service"], entry["level"], entry["request_id"], entry["import_id"]) == ("registry", "info", "req-77", "imp-1")


def test_the_access_line_made_directly_is_the_line_logging_would_make():
    import json
    import logging

    from tefu_common.logs import JsonFormatter

    formatter = JsonFormatter("medical-priority")
    set_request_id("req-7")
    try:
        record = logging.LogRecord("tefu.access", logging.INFO, __file__, 1, "%s %s %s", ("GET", "/v1/cards/x", 200), None)
        record.__dict__.update(method="GET", path="/v1/cards/x", status=200, duration_ms=1.25)
        through_logging = json.loads(formatter.format(record))
        direct = json.loads(formatter.access_line("GET", "/v1/cards/x", 200, 1.25))
    finally:
        set_request_id(None)
    through_logging.pop("time"), direct.pop("time")
    assert direct == through_logging
