"""The five services, called with the signed-in person's own token.

The console has no rights of its own: each service applies the person's region and role and logs
the reads under their name, exactly as for a call made with curl. What comes back is read for
people: a 4xx becomes :class:`ServiceRefused` (Chinese ``detail`` and field errors), a 401 sends
the person to sign in again, a service away (timeouts, 5xx) becomes the 503 page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson

from tefu_common.errors import ProblemError
from tefu_common.i18n import Text
from tefu_common.upstream import Upstream
from tefu_console.problems import ServiceRefused, SignInRequired

REGISTRY, ELIGIBILITY, PAYMENTS, MEDICAL_PRIORITY, SUPERVISION = (
    "registry", "eligibility", "payments", "medical-priority", "supervision")
LABELS = {
    REGISTRY: Text("登记服务", "the registry"),
    ELIGIBILITY: Text("资格认定服务", "the eligibility service"),
    PAYMENTS: Text("发放服务", "the payments service"),
    MEDICAL_PRIORITY: Text("就医优先服务", "the medical-priority service"),
    SUPERVISION: Text("督导检查服务", "the supervision service"),
}
REFUSALS = tuple(status for status in range(400, 500) if status not in (401, 429))
T = TypeVar("T")


def problem_text(problem: ProblemError) -> str:
    """What a person reads of one of our own problems: the Chinese."""
    detail = problem.detail if problem.detail is not None else problem.title
    return detail.zh if isinstance(detail, Text) else str(detail)


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if v not in (None, "")}


class Api:
    """One service, as one person (their access token)."""

    def __init__(self, upstream: Upstream, access_token: str) -> None:
        self.upstream = upstream
        self.calls = upstream.as_caller(f"Bearer {access_token}")
        self.name = upstream.label.zh

    async def response(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                       **kwargs: Any) -> httpx.Response:
        response = await self.calls.request(method, path, params=_clean(params), allow=(401, *REFUSALS), **kwargs)
        if response.status_code == 401:
            raise SignInRequired(expired=True)
        if response.status_code >= 400:
            raise ServiceRefused(response.status_code, _problem(response), self.name)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        return _body(await self.response("GET", path, params=params))

    async def send(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return _body(await self.response(method, path, **kwargs))


def _body(response: httpx.Response) -> Any:
    return orjson.loads(response.content) if response.content else None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class Apis:
    registry: Api
    eligibility: Api
    payments: Api
    cards: Api  # the medical-priority service
    supervision: Api


def apis_for(upstreams: Mapping[str, Upstream], access_token: str) -> Apis:
    """The five services as the holder of ``access_token`` (the signed-in person's, from the session)."""
    return Apis(Api(upstreams[REGISTRY], access_token), Api(upstreams[ELIGIBILITY], access_token),
                Api(upstreams[PAYMENTS], access_token), Api(upstreams[MEDICAL_PRIORITY], access_token),
                Api(upstreams[SUPERVISION], access_token))


@dataclass(frozen=True)
class Part:
    """One part of a page: its value, or why it could not be shown (the rest of the page still is)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def part(call: Awaitable[T]) -> Part:
    try:
        return Part(await call)
    except ServiceRefused as refused:
        return Part(error=refused.detail)
    except ProblemError as problem:  # a service away: say so in this part only
        return Part(error=problem_text(problem))


async def parts(**calls: Awaitable[Any]) -> dict[str, Part]:
    """Several parts at once: the slowest service sets the page's time, not their sum."""
    names = list(calls)
    results = await asyncio.gather(*(part(calls[name]) for name in names))
    return dict(zip(names, results, strict=True))
