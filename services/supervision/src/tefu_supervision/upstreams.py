"""The four services supervision reads, each called with the inspector's own token.

Supervision owns no register, ledger or card: every figure is asked of the service that owns it,
with the caller's token, so each service applies the inspector's region and roles and logs the
read under the inspector. Whatever one of them refuses, supervision cannot show either. Routes get
the clients as one dependency (:data:`Sources`); the gathering code receives them as parameters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, Request

from tefu_common.i18n import Text
from tefu_common.upstream import UpstreamCalls, upstream_of

REGISTRY, ELIGIBILITY, PAYMENTS, MEDICAL_PRIORITY = "registry", "eligibility", "payments", "medical-priority"
LABELS = {
    REGISTRY: Text("登记服务", "the registry"),
    ELIGIBILITY: Text("资格服务", "the eligibility service"),
    PAYMENTS: Text("资金发放服务", "the payments service"),
    MEDICAL_PRIORITY: Text("就医优先服务", "the medical-priority service"),
}


def source(service: str, endpoint: str, **query: Any) -> dict[str, Any]:
    """Where a figure came from: the service, the call and when it answered (kept in the report)."""
    return {"service": service, "service_name": LABELS[service].zh, "endpoint": endpoint,
            "query": {k: v for k, v in query.items() if v is not None},
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


@dataclass
class Sources:
    """The four services, each with the caller's token."""

    registry: UpstreamCalls
    eligibility: UpstreamCalls
    payments: UpstreamCalls
    medical_priority: UpstreamCalls
    stream_timeout: float

    async def entitlement_lines(self, *, region: str, month: str) -> AsyncIterator[dict[str, Any]]:
        """Every cash entitlement line of the region for the month (NDJSON, never held whole)."""
        body = {"region": region, "month": month}
        # Closed with the caller's loop, so an abandoned read hands its connection back at once.
        async with aclosing(self.eligibility.ndjson("POST", "/v1/entitlements", json=body, timeout=self.stream_timeout,
                                              pass_validation=True)) as lines:
            async for line in lines:
                yield line


async def _sources(request: Request) -> Sources:
    authorization = request.headers.get("authorization", "")

    def caller(name: str) -> UpstreamCalls:
        return upstream_of(request.app, name).as_caller(authorization)

    return Sources(registry=caller(REGISTRY), eligibility=caller(ELIGIBILITY), payments=caller(PAYMENTS),
                   medical_priority=caller(MEDICAL_PRIORITY),
                   stream_timeout=request.app.state.settings.gather_timeout_seconds)


SourcesDep = Annotated[Sources, Depends(_sources)]
"""The four services with the caller's token."""
