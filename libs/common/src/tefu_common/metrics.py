"""Prometheus metrics: request count and latency by route template, served at ``/metrics``.

Each app gets its own registry so several apps can live in one process (tests) without
colliding on metric names.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope


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
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count and time one answered request (called as each request ends)."""
        # The route template, never the raw path: card numbers must not become label values.
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        key = (scope["method"], route, status)
        series = self._series.get(key)
        if series is None:  # the labelled series, found once per (method, route, status)
            labels = (self.service, scope["method"], route)
            series = self._series[key] = (self.requests.labels(*labels, str(status)), self.latency.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)
