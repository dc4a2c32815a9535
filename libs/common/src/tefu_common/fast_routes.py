"""A service's hottest route answered by a plain ASGI handler, ahead of the framework's routing.

A hospital desk's card lookup is a GET of a short path, a thousand a second at a large hospital
group: going through Starlette's routing, FastAPI's dependency solving and exception layers costs
it about a third of its CPU (bench/card_lookup.py). A *fast route* answers such a request itself,
inside the request-id middleware (so the request id, the language, the access log line and the
metrics are the same as every other request's) and inside the database gate, and outside the rest.

A fast route is ``async (scope, receive, send) -> bool``: True if it answered, False to leave the
request to the app, which then answers it as if the fast route did not exist. It must leave
anything it does not fully handle to the app, unanswered and unrecorded: the app's answer is the
specification, and the same route must still be declared there (for OpenAPI, for errors and for
the requests the fast route declines). :func:`answer_json` and :func:`answer_problem` give the
app's exact answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from tefu_common.errors import ProblemError, error_response

FastRoute = Callable[[Scope, Receive, Send], Awaitable[bool]]


class FastRoutesMiddleware:
    def __init__(self, app: ASGIApp, *, routes: Sequence[FastRoute], owner: Any) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.owner = owner  # the FastAPI app: Request(scope).app, as inside it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self.owner
            for route in self.routes:
                if await route(scope, receive, send):
                    return
        await self.app(scope, receive, send)


def declared_route(app: Any, method: str, path: str) -> Any:
    """The app's route that answers ``method path`` (set as ``scope["route"]``, which the metrics
    and the access log name requests by)."""
    probe = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in app.router.routes:
        match, _ = route.matches(probe)
        if match is Match.FULL:
            return route
    raise LookupError(f"no route of the app answers {method} {path}")


async def answer_json(send: Send, body: Any) -> None:
    """200 with ``body`` as JSON: what ``Response(orjson.dumps(body), media_type="application/json")`` sends."""
    content = orjson.dumps(body)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(content)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": content})


async def answer_problem(error: ProblemError, scope: Scope, receive: Receive, send: Send) -> None:
    """The app's problem document for ``error`` (below 500; a 5xx is left to the app, which logs it)."""
    await error_response(error, scope["path"])(scope, receive, send)
