"""The two services payments calls, as typed clients over the suite's one upstream client.

Entitlements are asked for with the caller's own token (the eligibility service and, behind it,
the registry apply the clerk's region and log the read under the clerk). Bank details are read
with this service's own client credentials: only the payments service may see account numbers.
Routes get the clients as dependencies (:data:`Eligibility`, :data:`Registry`); service code
receives them as parameters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import Depends, Request

from tefu_common.i18n import Text
from tefu_common.upstream import UpstreamCalls, caller_upstream, service_upstream

ELIGIBILITY = "eligibility"
REGISTRY = "registry"
LABELS = {ELIGIBILITY: Text("资格服务", "the eligibility service"), REGISTRY: Text("登记服务", "the registry")}


class EligibilityClient:
    """The eligibility service, called with the caller's own token."""

    def __init__(self, calls: UpstreamCalls, *, timeout: float) -> None:
        self.calls = calls
        self.timeout = timeout

    async def entitlement_lines(self, *, region: str, benefits: list[str], first_month: str,
                                last_month: str) -> AsyncIterator[dict[str, Any]]:
        """Every entitlement line of the region for the months, streamed (NDJSON).

        A 422 of the eligibility service (a region it refuses, say) reaches the clerk as our own
        422 on the same fields; a stream that breaks half-way is a 503, and nothing of the batch
        is kept."""
        body = {"region": region, "month": last_month, "from_month": first_month, "benefits": benefits}
        # Closed with the caller's loop, so an abandoned read hands its connection back at once.
        async with aclosing(self.calls.ndjson("POST", "/v1/entitlements", json=body, timeout=self.timeout,
                                              pass_validation=True)) as lines:
            async for line in lines:
                yield line


class RegistryClient:
    """The registry, called with this service's own credentials (bank details)."""

    def __init__(self, calls: UpstreamCalls) -> None:
        self.calls = calls

    async def payees(self, member_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Names, ID numbers and bank accounts of members, by member id (at most 5,000 a call)."""
        if not member_ids:
            return {}
        # A read, safe to retry: the Idempotency-Key lets the shared client retry the POST.
        found = await self.calls.json("POST", "/v1/payees", json={"member_ids": member_ids},
                                      headers={"Idempotency-Key": "read"})
        return {payee["member_id"]: payee for payee in found["payees"]}


    async def open_review_task(self, *, member_id: int, kind: str, source_ref: str, reason_code: str | None,
                               reason: str) -> dict[str, Any]:
        """Open (or find, if already open) the registry's review task for a returned line."""
        body = {"member_id": member_id, "kind": kind, "source_ref": source_ref, "reason_code": reason_code,
                "reason": reason}
        # Idempotent at the registry (one task per line and kind): safe to retry.
        return await self.calls.json("POST", "/v1/review-tasks", json=body,  # type: ignore[no-any-return]
                                     headers={"Idempotency-Key": f"review-{kind}-{source_ref}"})

    async def members_under_review(self, region: str) -> set[int]:
        """Members of the region with an open review task: a batch pays them nothing."""
        members: set[int] = set()
        cursor = None
        while True:
            params = {"region": region, "status": "open", "limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = await self.calls.json("GET", "/v1/review-tasks", params=params)
            members |= {task["member_id"] for task in page["items"]}
            cursor = page.get("next_cursor")
            if not cursor:
                return members


async def _eligibility(request: Request,
                       calls: UpstreamCalls = Depends(caller_upstream(ELIGIBILITY))) -> EligibilityClient:
    return EligibilityClient(calls, timeout=request.app.state.settings.entitlements_timeout_seconds)


Eligibility = Annotated[EligibilityClient, Depends(_eligibility)]
"""The eligibility service with the caller's token."""

Registry = Annotated[RegistryClient, Depends(service_upstream(REGISTRY, RegistryClient))]
"""The registry with this service's own credentials."""
