"""Errors are problem+json without tracebacks, with a stable code, the field and a detail in the
request's language; logs are JSON lines carrying the request id, or short console lines."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from tefu_common.errors import Conflict, Invalid, install_error_handlers
from tefu_common.i18n import Text, negotiate
from tefu_common.logs import ConsoleFormatter, JsonFormatter
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
        raise Conflict(Text("第 42 户已登记这个身份证号", "family 42 already holds this ID number"),
                       code="parent-registered", existing_family=42)

    @app.get("/as-of")
    async def as_of() -> None:
        raise Invalid("date-before-1950", "早于 1950 年", "before 1950").at("as_of", location="query")

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
    assert (body["title"], body["status"], body["code"]) == ("与现有数据冲突", 409, "parent-registered")
    assert body["detail"] == "第 42 户已登记这个身份证号"
    assert body["existing_family"] == 42
    assert body["instance"] == "/conflict"
    assert response.headers["content-language"] == "zh"


async def test_english_on_request_and_the_code_never_changes(client):
    chinese = (await client.get("/conflict")).json()
    english = (await client.get("/conflict", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})).json()
    assert english["detail"] == "family 42 already holds this ID number" and english["title"] == "Conflict"
    assert english["code"] == chinese["code"] == "parent-registered"


def test_language_negotiation():
    assert negotiate(None) == "zh"
    assert negotiate("en") == "en"
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert negotiate("fr, en;q=0.5") == "en"
    assert negotiate("en;q=0, zh") == "zh"
    assert negotiate("de") == "zh"


async def test_a_field_error_raised_by_a_service_names_its_field_and_code(client):
    body = (await client.get("/as-of")).json()
    assert (body["status"], body["code"], body["field"]) == (422, "date-before-1950", "query.as_of")
    assert body["errors"] == [{"field": "query.as_of", "code": "date-before-1950", "detail": "早于 1950 年"}]


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
    assert body["type"].endswith("/validation-error") and body["code"] == "validation-error"
    errors = {e["field"]: (e["code"], e["detail"]) for e in body["errors"]}
    assert errors == {
        "body.id_number": ("resident-id-check-character", "校验码应为“X”，而不是“1”"),
        "body.amount": ("money-decimal-places", "金额最多两位小数"),
        "body.months": ("greater-than-equal", "应不小于 1"),
    }
    english = (await client.post("/payments", json={"id_number": "110105194912310021", "amount": "1.00", "months": 1},
                                 headers={"Accept-Language": "en"})).json()
    assert (english["code"], english["field"]) == ("resident-id-check-character", "body.id_number")
    assert english["errors"][0]["detail"] == "check character should be 'X', not '1'"


async def test_malformed_json_is_a_problem_too(client):
    response = await client.post("/payments", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "json-invalid"


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


def test_console_lines_are_short_and_carry_the_request_id():
    formatter = ConsoleFormatter("payments")
    set_request_id("5f0c6e0f3c1d4c8e")
    try:
        line = formatter.access_line("POST", "/v1/batches", 201, 12.4)
        record = logging.makeLogRecord({"name": "tefu.db", "levelno": logging.WARNING, "levelname": "WARNING",
                                        "msg": "database became unreachable"})
        warning = formatter.format(record)
    finally:
        set_request_id(None)
    assert line.endswith("payments         POST   /v1/batches 201 12 ms  [5f0c6e0f]")
    assert "WARNING database became unreachable" in warning and "{" not in warning
