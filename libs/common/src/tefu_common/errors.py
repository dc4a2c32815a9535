"""Errors as RFC 9457 problem details (``application/problem+json``).

Business code raises a :class:`ProblemError` subclass; one set of handlers turns every error,
including FastAPI's validation errors and unexpected exceptions, into a problem document. A
traceback never reaches a client: unexpected errors are logged with the request id, and the
response carries only that id so support can find the log line.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from tefu_common.request_context import ResponseStatus, current_request_id

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tefu.example.cn/problems/"

log = logging.getLogger("tefu.errors")


class ProblemError(Exception):
    """An error that knows how to describe itself as a problem document."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, *, challenge: str = 'Bearer error="invalid_token"', **extensions: Any) -> None:
        # RFC 6750 / 7235: a 401 names the authentication scheme the client should use.
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, **extensions)


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not permitted"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class ValidationFailed(ProblemError):
    """422 with the fields at fault, in the same shape as FastAPI's own validation errors."""

    status, slug, title = 422, "validation-error", "Invalid request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail, errors=errors)

    @classmethod
    def of_field(cls, field: str, message: str) -> ValidationFailed:
        """One field at fault, the message serving as the detail too."""
        return cls(message, errors=[{"field": field, "message": message, "type": "value_error"}])


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    slug, title = "database-unavailable", "Database unavailable"

    def __init__(self, detail: str = "The service cannot reach its database; retry shortly.") -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


def problem_response(
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    request_id = current_request_id()
    if request_id:
        body.setdefault("request_id", request_id)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # FastAPI locations start with where the value came from ("body", "query", ...);
    # clients think in fields, so "body.parents.0.birth_date" reads as it is sent.
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid value"))
        # pydantic prefixes messages of custom validators with "Value error, ".
        message = message.removeprefix("Value error, ")
        errors.append({"field": _field_path(error.get("loc", ())), "message": message, "type": error.get("type")})
    return errors


def install_error_handlers(app: FastAPI) -> None:
    """Make every error a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("request failed: %s", exc.detail or exc.title, extra={"status": exc.status})
        return problem_response(exc.status, exc.to_problem(request.url.path), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        fields = ", ".join(e["field"] for e in errors[:5])
        error = ValidationFailed(f"{len(errors)} invalid field(s): {fields}", errors=errors)
        return problem_response(422, error.to_problem(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing errors (unknown path, wrong method) raised by the framework itself.
        titles = {404: "Not found", 405: "Method not allowed"}
        body = {
            "type": PROBLEM_BASE + ("not-found" if exc.status_code == 404 else "http-error"),
            "title": titles.get(exc.status_code, "HTTP error"),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return problem_response(exc.status_code, body, getattr(exc, "headers", None))

    app.add_middleware(UnhandledErrorMiddleware)


def unexpected_error_response(exc: Exception, method: str, path: str) -> JSONResponse:
    from tefu_common.db import is_connection_error

    if is_connection_error(exc):
        log.warning("database unreachable: %s", type(exc).__name__)
        error: ProblemError = DatabaseUnavailable()
        return problem_response(error.status, error.to_problem(path), error.headers)
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    error = ProblemError("An unexpected error occurred; quote the request id when reporting it.")
    return problem_response(500, error.to_problem(path))


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
