"""Errors as RFC 9457 problem details (``application/problem+json``), the suite's error contract.

Every problem a service answers has the same shape (:class:`ProblemDetail`, published in each
OpenAPI document): ``type``, ``title``, ``status``, a stable machine ``code``, the ``field`` at
fault when there is one, and a human ``detail`` in Chinese by default (English with
``Accept-Language: en``). A 422 lists every field at fault in ``errors``.

Business code raises a :class:`ProblemError` subclass. A wrong value is described once, as an
:class:`Invalid` (code, Chinese, English): raised inside a pydantic validator it becomes a 422 on
the field the validator checks; raised from a service with :meth:`Invalid.at` it names the field
itself. FastAPI's own validation errors are translated into the same shape. A traceback never
reaches a client: unexpected errors are logged with the request id, and the response carries only
that id so support can find the log line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from tefu_common.connectivity import is_connection_error
from tefu_common.i18n import Text, current_language
from tefu_common.request_context import ResponseStatus, current_request_id

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tefu.example.cn/problems/"

log = logging.getLogger("tefu.errors")


# --- one wrong value -------------------------------------------------------------------------------


class Invalid(ValueError):
    """A value that is wrong: a stable ``code`` and the reason in Chinese and English.

    The one way to describe a field error. Raise it from a pydantic validator (the 422 then names
    the field the validator checks), or place it yourself with :meth:`at`::

        raise Invalid("date-before-1950", f"{day} 早于 1950 年", f"{day} is before 1950").at("as_of", location="query")
    """

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)  # pydantic and logs show the English; responses pick the language
        self.code = code
        self.message = Text(zh, en)

    def at(self, field: str, *, location: str = "body") -> ValidationFailed:
        """A 422 naming ``field`` where it was sent (``body``, ``query``, ``path``, ``header``, ``file``)."""
        return ValidationFailed([self.error(field, location=location)])

    def error(self, field: str, *, location: str = "body") -> FieldError:
        return FieldError(field_path(location, field), self.code, self.message)


@dataclass(frozen=True)
class FieldError:
    """One field at fault: where (``body.mother.id_number``), the code, the reason."""

    field: str
    code: str
    message: Text

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "detail": self.message.render()}


def field_path(location: str, field: str | Sequence[Any]) -> str:
    """``body`` + ``mother.id_number`` → ``body.mother.id_number``: where it was sent, then the path."""
    path = field if isinstance(field, str) else ".".join(str(part) for part in field)
    return f"{location}.{path}" if location and path else location or path


# --- problems ---------------------------------------------------------------------------------------


class ProblemError(Exception):
    """An error that knows how to describe itself as a problem document.

    Subclasses set ``status``, ``code`` and ``title`` (Chinese and English); an instance may carry
    a finer ``code`` of its own, the ``field`` at fault, headers and extension members.
    """

    status: ClassVar[int] = 500
    code: str = "internal-error"
    title: ClassVar[Text] = Text("内部错误", "Internal error")

    def __init__(
        self,
        detail: Text | str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.detail = detail
        # The exception's own text (logs, tracebacks) is English; responses pick the request's language.
        super().__init__(detail.en if isinstance(detail, Text) else detail if detail is not None else self.title.en)
        if code is not None:
            self.code = code
        self.field = field
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_BASE + type(self).code

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title.render(), "status": self.status,
                                "code": self.code}
        if self.detail is not None:
            body["detail"] = self.detail.render() if isinstance(self.detail, Text) else self.detail
        if self.field is not None:
            body["field"] = self.field
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class BadRequest(ProblemError):
    status, code, title = 400, "bad-request", Text("请求有误", "Bad request")


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", Text("需要身份认证", "Authentication required")

    def __init__(self, detail: Text | str | None = None, *, challenge: str = 'Bearer error="invalid_token"',
                 **extensions: Any) -> None:
        # RFC 6750 / 7235: a 401 names the authentication scheme the client should use.
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, **extensions)


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", Text("无权操作", "Not permitted")


class NotFound(ProblemError):
    status, code, title = 404, "not-found", Text("未找到", "Not found")


class Conflict(ProblemError):
    status, code, title = 409, "conflict", Text("与现有数据冲突", "Conflict")


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", Text("内容过大", "Payload too large")


class ValidationFailed(ProblemError):
    """422 with every field at fault. One field: its code and field are the problem's own."""

    status, code, title = 422, "validation-error", Text("请求内容有误", "Invalid request")

    def __init__(self, errors: Iterable[FieldError], detail: Text | str | None = None) -> None:
        self.errors = list(errors)
        if not self.errors:
            raise ValueError("a validation problem names at least one field")
        first = self.errors[0]
        if detail is None:
            detail = _summary(self.errors)
        if len(self.errors) == 1:
            super().__init__(detail, code=first.code, field=first.field)
        else:
            super().__init__(detail, field=first.field)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().to_problem(instance)
        body["errors"] = [error.to_dict() for error in self.errors]
        return body


def _summary(errors: list[FieldError]) -> Text:
    if len(errors) == 1:
        error = errors[0]
        return Text(f"{error.field}：{error.message.zh}", f"{error.field}: {error.message.en}")
    fields = ", ".join(e.field for e in errors[:5]) + (" …" if len(errors) > 5 else "")
    return Text(f"{len(errors)} 处有误：{fields}", f"{len(errors)} invalid field(s): {fields}")


class TooManyRequests(ProblemError):
    status, code, title = 429, "too-many-requests", Text("请求过于频繁", "Too many requests")


class BadGateway(ProblemError):
    status, code, title = 502, "bad-gateway", Text("上游服务拒绝了请求", "Another service refused the request")


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service-unavailable", Text("服务暂不可用", "Service unavailable")


class DatabaseBusy(ServiceUnavailable):
    code, title = "database-busy", Text("服务繁忙", "Service busy")

    def __init__(self) -> None:
        super().__init__(Text("服务繁忙，暂时没有空闲的数据库连接，请稍后重试。",
                              "Every database connection stayed busy for a minute; retry shortly."),
                         headers={"Retry-After": "10"})


class DatabaseUnavailable(ServiceUnavailable):
    code, title = "database-unavailable", Text("数据库暂不可用", "Database unavailable")

    def __init__(self) -> None:
        super().__init__(Text("服务暂时连接不上数据库，请稍后重试。", "The service cannot reach its database; retry shortly."),
                         headers={"Retry-After": "5"})


# --- the schema published in every OpenAPI document ----------------------------------------------------


class FieldErrorOut(BaseModel):
    field: str = Field(description="Where the value was sent, then its path: `body.mother.id_number`, `query.as_of`.",
                       examples=["body.mother.id_number"])
    code: str = Field(description="Stable machine code of what is wrong.", examples=["resident-id-check-character"])
    detail: str = Field(description="What is wrong, for a person (Chinese unless `Accept-Language: en`).",
                        examples=["校验码应为“0”，而不是“1”"])


class ProblemDetail(BaseModel):
    """An error (RFC 9457 problem details), the same shape in every Tefu service."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": PROBLEM_BASE + "validation-error", "title": "请求内容有误", "status": 422,
        "code": "resident-id-check-character", "field": "body.mother.id_number",
        "detail": "body.mother.id_number：校验码应为“0”，而不是“1”", "instance": "/v1/families",
        "request_id": "5f0c6e0f3c1d4c8e9a4c2b7d1e0f9a3b",
        "errors": [{"field": "body.mother.id_number", "code": "resident-id-check-character",
                    "detail": "校验码应为“0”，而不是“1”"}],
    }]})

    type: str = Field(description="URI of the kind of problem.")
    title: str = Field(description="Short name of the kind of problem, in the language of the request.")
    status: int = Field(description="The HTTP status code.")
    code: str = Field(description="Stable machine code (finer than `type`): branch on this, never on the text.")
    detail: str | None = Field(None, description="What went wrong, for a person: Chinese by default, English with "
                                                 "`Accept-Language: en`.")
    field: str | None = Field(None, description="The field at fault, when there is one (the first, if several).")
    instance: str | None = Field(None, description="The path of the request.")
    request_id: str | None = Field(None, description="Quote this when reporting the problem: it finds the log lines.")
    errors: list[FieldErrorOut] | None = Field(None, description="422 only: every field at fault.")


# --- FastAPI's validation errors, in the same shape ---------------------------------------------------

# pydantic's own error types in Chinese; {placeholders} come from the error's context.
_PYDANTIC_ZH = {
    "missing": "必须填写",
    "missing_argument": "必须填写",
    "extra_forbidden": "不认识这个字段",
    "string_type": "应为文字",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对（应符合 {pattern}）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不带时间",
    "datetime_type": "应为时间（ISO 8601）",
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "url_parsing": "不是有效的网址",
    "uuid_parsing": "不是有效的 UUID",
    "union_tag_invalid": "类型 {tag} 不认识，应为 {expected_tags} 之一",
    "union_tag_not_found": "缺少区分类型的字段 {discriminator}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "finite_number": "应为有限的数字",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
}


def pydantic_field_error(error: dict[str, Any], *, location: str | None = None) -> FieldError:
    """One of pydantic's error dicts as a field error: our own :class:`Invalid` keeps its code and
    messages; pydantic's own types get a Chinese message from the table above."""
    loc = list(error.get("loc", ()))
    if location is None:
        location = str(loc.pop(0)) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else ""
    path = field_path(location, loc)
    context = error.get("ctx") or {}
    cause = context.get("error")
    if isinstance(cause, Invalid):
        return FieldError(path, cause.code, cause.message)
    kind = str(error.get("type", "value_error"))
    english = str(error.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _PYDANTIC_ZH.get(kind)
    chinese = f"取值无效：{english}"
    if template is not None:
        try:
            chinese = template.format(**{k: v for k, v in context.items() if k != "error"})
        except (KeyError, IndexError, ValueError):
            chinese = template.split("{")[0].rstrip("（：") or chinese
        if kind in ("value_error", "assertion_error"):
            chinese = f"取值无效：{english}"
    return FieldError(path, kind.replace("_", "-"), Text(chinese, english))


def request_validation_problem(exc: RequestValidationError) -> ValidationFailed:
    return ValidationFailed([pydantic_field_error(error) for error in exc.errors()])


# --- handlers ----------------------------------------------------------------------------------------


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    request_id = current_request_id()
    if request_id:
        body.setdefault("request_id", request_id)
    response = JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = current_language()
    return response


def error_response(error: ProblemError, path: str | None) -> JSONResponse:
    return problem_response(error.status, error.to_problem(path), error.headers)


_ROUTING = {
    404: ("not-found", Text("未找到", "Not found"), Text("没有这个地址", "No such path")),
    405: ("method-not-allowed", Text("不支持的请求方法", "Method not allowed"),
          Text("这个地址不支持该请求方法", "This path does not take this method")),
}


_UNPARSEABLE_BODY = "There was an error parsing the body"  # fastapi.routing's own words
_BODY_NOT_READABLE = Invalid("json-invalid", "请求体无法解析：不是 UTF-8 编码的有效 JSON 或表单",
                             "the body cannot be parsed: not valid JSON or form data in UTF-8")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("request failed: %s", exc, extra={"status": exc.status})  # English: str(exc)
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request_validation_problem(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
            # FastAPI's answer to a body it cannot even decode (bytes that are not UTF-8): the
            # same 422 on ``body`` as a body that is not valid JSON, not a bare 400.
            return error_response(_BODY_NOT_READABLE.at("", location="body"), request.url.path)
        # Routing errors (unknown path, wrong method) raised by the framework itself.
        code, title, detail = _ROUTING.get(
            exc.status_code, ("http-error", Text("请求有误", "HTTP error"), Text(str(exc.detail), str(exc.detail))))
        body = {"type": PROBLEM_BASE + code, "title": title.render(), "status": exc.status_code, "code": code,
                "detail": detail.render(), "instance": request.url.path}
        return problem_response(exc.status_code, body, getattr(exc, "headers", None))

    app.add_middleware(UnhandledErrorMiddleware)


def unexpected_error_response(exc: Exception, method: str, path: str) -> JSONResponse:
    if isinstance(exc, PoolTimeoutError):  # busy, not down: the monitor is not told
        log.warning("no free database connection for %s %s", method, path)
        return error_response(DatabaseBusy(), path)
    if is_connection_error(exc):
        log.warning("database unreachable: %s", type(exc).__name__)
        return error_response(DatabaseUnavailable(), path)
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    error = ProblemError(Text("服务出现意外错误；报告问题时请提供 request_id。",
                              "An unexpected error occurred; quote the request id when reporting it."))
    return error_response(error, path)


class UnhandledErrorMiddleware:
    """Turn any exception that escaped the handlers into a problem document.

    It sits inside the request-id middleware (Starlette's own last-resort handler sits outside
    every middleware), so even a 500 carries the request id in its body and headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_status = ResponseStatus(send)
        try:
            await self.app(scope, receive, response_status)
        except Exception as exc:
            if response_status.status is not None:  # too late for a clean answer; let the server close the connection
                raise
            response = unexpected_error_response(exc, scope["method"], scope["path"])
            await response(scope, receive, send)
