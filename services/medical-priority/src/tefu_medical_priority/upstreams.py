"""The registry and the eligibility service, as this service calls them.

The change feed and identities are read with this service's own client credentials (role
``service``): the follower acts for no user. A clerk's hand issue evaluates the family with the
clerk's own token (``caller_upstream``), so the eligibility service and the registry apply the
clerk's region and log the read under the clerk. Both clients sit on the suite's shared upstream
client (``tefu_common.upstream``): its pool, timeouts, retries and its two errors, 503 when a
service cannot be reached and 502 when it refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import Depends

from tefu_common import collector
from tefu_common.i18n import Text
from tefu_common.upstream import UpstreamCalls, caller_upstream

REGISTRY = "registry"
ELIGIBILITY = "eligibility"
LABELS = {REGISTRY: Text("登记服务", "the registry"), ELIGIBILITY: Text("资格服务", "the eligibility service")}
PEOPLE_PER_CALL = 5000
# The standing stream of a whole register runs as long as the register is large (about a minute
# for a million families): the usual per-call timeout would cut it off.
STREAM_TIMEOUT_SECONDS = 120.0


class RegistryClient:
    """The registry's change feed, the identities of members, a family's facts and its liaisons."""

    def __init__(self, calls: UpstreamCalls) -> None:
        self.calls = calls

    async def changes(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Changes after position ``after``, and the position to resume from (``next_after``)."""
        body = await self.calls.json("GET", "/v1/changes", params={"after": after, "limit": limit})
        return body["items"], int(body["next_after"])

    async def people(self, member_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Name, ID number, sex, dates and family of each member the registry knows, by member id."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(member_ids), PEOPLE_PER_CALL):
            body = await self.calls.json("POST", "/v1/people", json={"member_ids": member_ids[start:start + PEOPLE_PER_CALL]},
                                         headers={"Idempotency-Key": "read"})  # a read: safe to retry
            found.update({person["member_id"]: person for person in body["people"]})
        return found

    async def facts(self, family_id: int, on: date) -> dict[str, Any] | None:
        """The family's facts on the day (no names or numbers: roles and dates); None if it is gone."""
        response = await self.calls.request("GET", f"/v1/families/{family_id}/facts", allow=(404,),
                                            params={"as_of": on.isoformat()})
        if response.status_code == 404:
            return None
        result: dict[str, Any] = response.json()
        return result

    async def liaisons(self, family_id: int) -> list[dict[str, Any]] | None:
        """Every liaison of the family, current and past (all pages); None if the family is gone."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            response = await self.calls.request("GET", f"/v1/families/{family_id}/liaisons", allow=(404,),
                                                params=params)
            if response.status_code == 404:
                return None
            page = response.json()
            found += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found


class EligibilityClient:
    """A family's benefits held on a day, evaluated by the eligibility service."""

    # Answers that mean "no such family for this caller": the family is gone from the register.
    hidden: tuple[int, ...] = (404,)

    def __init__(self, calls: UpstreamCalls) -> None:
        self.calls = calls

    async def evaluation(self, family_id: int, on: date) -> dict[str, Any] | None:
        """The evaluation on the day itself; None if the family is not there (for this caller)."""
        response = await self.calls.request("GET", f"/v1/families/{family_id}/evaluation", allow=self.hidden,
                                            params={"as_of": on.isoformat(), "on_the_day": "true"})
        if response.status_code in self.hidden:
            return None
        result: dict[str, Any] = response.json()
        return result


    @asynccontextmanager
    async def standing(self, region: str, on: date, benefits: list[str],
                       batch: int = 1000) -> AsyncIterator[AsyncIterator[list[dict[str, Any]]]]:
        """``POST /v1/standing``: every family of ``region`` with who holds ``benefits`` on the day,
        in batches of parsed lines (the stream is never held whole). Entering checks the status."""
        timeout = max(self.calls.upstream.timeout, STREAM_TIMEOUT_SECONDS)
        async with self.calls.stream("POST", "/v1/standing", json={"region": region, "on": on.isoformat(),
                                                                  "benefits": benefits}, timeout=timeout) as response:
            async def batches() -> AsyncIterator[list[dict[str, Any]]]:
                pending = b""
                lines: list[bytes] = []
                async for chunk in response.aiter_bytes():
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    lines.extend(line for line in complete if line)
                    while len(lines) >= batch:
                        yield _parsed(lines[:batch])
                        lines = lines[batch:]
                if pending.strip():
                    lines.append(pending)
                if lines:
                    yield _parsed(lines)

            yield batches()


def _parsed(lines: list[bytes]) -> list[dict[str, Any]]:
    """A batch of NDJSON lines as one array, parsed with the cyclic collector paused: the parse
    makes tens of thousands of small dicts and lists, which would set off collections that find
    nothing (they hold no cycles) and cost more than the parse itself."""
    with collector.paused():
        parsed: list[dict[str, Any]] = orjson.loads(b"[" + b",".join(lines) + b"]")
    return parsed


class ClerkEligibility(EligibilityClient):
    """Evaluations asked with a clerk's own token: a family outside the clerk's region (403 or 404)
    is, to the clerk, a family that does not exist."""

    hidden = (403, 404)


ClerksEligibility = Annotated[ClerkEligibility, Depends(caller_upstream(ELIGIBILITY, ClerkEligibility))]
