"""Prometheus metrics: request count and latency by route template, served at ``/metrics``.

Each app gets its own registry so several apps can live in one process (tests) without
colliding on metric names.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tefu_common.request_context import ResponseStatus


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tefu_http_requests", "HTTP requests handled", ["service", "method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "tefu_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.database_up = Gauge(
            "tefu_database_up", "1 while the service's database answers", ["service"], registry=self.registry
        )
        self.service = service

    def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response = ResponseStatus(send)
        try:
            await self.app(scope, receive, response)
        finally:
            status = response.status or 500
            # The route template, never the raw path: card numbers must not become label values.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            labels = (self.metrics.service, scope["method"], route)
            self.metrics.requests.labels(*labels, str(status)).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)
