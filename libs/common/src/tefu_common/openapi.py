"""The OpenAPI document as a contract: every error a route can answer, in one schema.

Routes declare the errors of their own domain (``responses=problems(404, 409)``); the errors every
route of a kind can answer are added here from what the route is: 401 and 403 wherever a bearer
token is required, 422 wherever there is a parameter or a body to get wrong, 503 wherever the
database (or another service) is needed. Every 4xx and 5xx response is then
``application/problem+json`` with the :class:`~tefu_common.errors.ProblemDetail` schema, and
FastAPI's ``HTTPValidationError`` (which the suite never answers) is removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi import routing
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from tefu_common.auth.dependencies import TokenRequirement
from tefu_common.auth.roles import ROLE_SCOPES
from tefu_common.errors import PROBLEM_BASE, PROBLEM_JSON, FieldErrorOut, ProblemDetail

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetail"}

# What each status means on any route, and an example of it.
STANDARD = {
    400: ("请求有误（Bad request）", "bad-request", "请求有误"),
    401: ("缺少令牌，或令牌无效、过期、已吊销（Missing, invalid, expired or revoked bearer token）", "unauthorized",
          "需要有效的令牌（Authorization: Bearer <token>）"),
    403: ("令牌有效，但角色或权限范围不允许（The token's role or scopes do not allow this）", "forbidden",
          "角色 hospital 不能调用此接口"),
    404: ("不存在，或不在你的辖区（Not found, or outside your region）", "not-found", "没有这户家庭（或不在你的辖区）"),
    409: ("与现有数据冲突（Conflicts with the current state）", "conflict", "这位家长已经登记"),
    413: ("内容过大（Too large）", "payload-too-large", "文件超过 50 MB"),
    422: ("请求内容有误，errors 列出每个出错的字段（Invalid request: `errors` names every field at fault）",
          "validation-error", "body.mother.id_number：校验码应为“0”，而不是“1”"),
    429: ("请求过于频繁，Retry-After 给出等待秒数（Too many requests; see Retry-After）", "too-many-requests",
          "本院每分钟的按证件号查询已达上限"),
    502: ("上游服务拒绝了请求（upstream-refused）或处理出错（upstream-error，附其请求编号）（Another service refused "
          "the request, or failed on it: not a reason to retry）", "upstream-refused", "登记服务拒绝了请求"),
    503: ("数据库或上游服务暂不可用，Retry-After 给出等待秒数（Database or another service unavailable; retry "
          "after Retry-After seconds）", "database-unavailable", "服务暂时连接不上数据库，请稍后重试。"),
}

# Paths that never touch the database (the gate in tefu_common.db lets them through).
_NO_DATABASE = ("/healthz", "/.well-known/", "/docs", "/redoc", "/openapi.json", "/metrics")


def problem_declaration(status: int, description: str | None = None) -> dict[str, Any]:
    meaning, code, detail = STANDARD.get(status, ("错误（Error）", "error", "出错了"))
    return {
        "description": description or meaning,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF, "example": {
            "type": PROBLEM_BASE + code, "title": meaning.split("（")[0], "status": status, "code": code,
            "detail": detail, "request_id": "5f0c6e0f3c1d4c8e9a4c2b7d1e0f9a3b"}}},
    }


def problems(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the problems of its own domain (``problems(404, 409)``), each
    with the standard meaning, or a meaning of its own (``problems(**{"409": "already approved"})``)."""
    declared: dict[int | str, dict[str, Any]] = {status: problem_declaration(status) for status in statuses}
    for status, description in described.items():
        declared[int(status)] = problem_declaration(int(status), description)
    return declared


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def callers(requirement: TokenRequirement) -> list[str]:
    """The roles whose tokens can pass ``requirement``: allowed, and able to hold the scopes it needs."""
    return sorted(role.value for role, held in ROLE_SCOPES.items()
                  if (requirement.allowed_roles is None or role in requirement.allowed_roles)
                  and requirement.needed <= held and (not requirement.any_of or requirement.any_of & held))


def _route_facts(route: Any) -> tuple[list[str] | None, bool]:
    """(the roles that can call it, None when it needs no token; has something a client can get wrong)."""
    requirements = [d.call for d in _dependencies(route.dependant) if isinstance(d.call, TokenRequirement)]
    roles = None
    for requirement in requirements:  # every requirement must pass: the roles common to all
        allowed = callers(requirement)
        roles = allowed if roles is None else [role for role in roles if role in allowed]
    inputs = bool(route.dependant.body_params) or any(
        d.query_params or d.path_params or d.header_params or d.body_params
        for d in (route.dependant, *_dependencies(route.dependant)))
    return roles, inputs


def complete_document(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Declare the standard problems of every route and give every error the ProblemDetail schema."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["FieldErrorOut"] = FieldErrorOut.model_json_schema()
    problem_schema = ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    problem_schema.pop("$defs", None)
    schemas["ProblemDetail"] = problem_schema
    # Included routers stay routers of their own (FastAPI resolves them lazily): walk their contexts.
    facts = {(context.path_format, method.lower()): _route_facts(context)
             for context in routing.iter_route_contexts(app.routes)
             if isinstance(context.original_route, APIRoute) for method in (context.methods or ())}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            roles, inputs = facts.get((path, method), (None, False))
            responses = operation.setdefault("responses", {})
            wanted = set()
            if roles is not None:
                wanted |= {401, 403}
                # OpenAPI 3.1: a requirement of a scheme other than OAuth2 may list the roles it needs.
                operation["security"] = [{scheme: roles for requirement in operation.get("security") or [{}]
                                          for scheme in requirement or {"HTTPBearer": []}}]
            if inputs:
                wanted.add(422)
            if not path.startswith(_NO_DATABASE):
                wanted.add(503)
            for status in wanted:
                responses.setdefault(str(status), problem_declaration(status))
            for status, response in list(responses.items()):
                if status.isdigit() and int(status) >= 400:
                    content = response.get("content") or {}
                    if content and not {PROBLEM_JSON, "application/json"} & set(content):
                        continue  # an error a person reads (the sign-in page): declared as what it is
                    if set(content) - {"application/json", PROBLEM_JSON}:
                        continue  # a route that speaks another standard's errors (FHIR's OperationOutcome) declares them
                    example = next((c.get("example") for c in content.values() if isinstance(c, dict) and "example" in c),
                                   None)
                    fresh = problem_declaration(int(status), response.get("description"))
                    if example is not None and "type" in example:
                        fresh["content"][PROBLEM_JSON]["example"] = example
                    if response.get("headers"):
                        fresh["headers"] = response["headers"]
                    if int(status) in (429, 503) and "headers" not in fresh:
                        fresh["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                                            "schema": {"type": "integer"}}}
                    responses[status] = fresh
    return document


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` give the completed document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                                   tags=app.openapi_tags, servers=app.servers)
            app.openapi_schema = complete_document(app, document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
