"""The registry as the eligibility service reads it: a family's facts, a region's facts stream.

Every call carries the caller's own bearer token, so the registry applies the caller's region and
writes the read to its access log under the caller's name: the eligibility service never reads
more of the register than the person who asked could read directly. Failures are the suite's two
upstream problems (503 unreachable, 502 refused); a family the registry does not show the caller
is a 404 here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import Depends

from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.upstream import UpstreamCalls, caller_upstream

NAME = "registry"
LABEL = Text("登记服务", "the registry")

# A region's facts stream runs as long as the region is large (about a minute for a million
# families, bench/facts_stream.py): the usual per-call timeout would cut it off.
STREAM_TIMEOUT_SECONDS = 60.0


class RegistryClient:
    """Reads of the registry's facts documents, with one identity (see :func:`caller_upstream`)."""

    def __init__(self, calls: UpstreamCalls) -> None:
        self.calls = calls

    async def family_facts(self, family_id: int, as_of: date) -> dict[str, Any]:
        """``GET /v1/families/{id}/facts?as_of=``: the body ``POST /v1/evaluate`` takes."""
        response = await self.calls.request("GET", f"/v1/families/{family_id}/facts",
                                            params={"as_of": as_of.isoformat()}, allow=(404,))
        if response.status_code == 404:
            raise NotFound(Text(f"登记服务中没有家庭 {family_id}（或不在你的辖区）",
                                f"family {family_id} is not in the registry (or is outside your region)"),
                           code="family-not-found")
        document: dict[str, Any] = orjson.loads(response.content)
        return document

    @asynccontextmanager
    async def region_facts(self, region: str, as_of: date) -> AsyncIterator[AsyncIterator[bytes]]:
        """``GET /v1/facts?region=&as_of=``: the NDJSON stream of every family under ``region``.

        Entering checks the answer's status before any of the body is read (so the caller can
        still answer with a clean problem); the body then arrives as raw byte chunks, cut into
        lines by the reader, so nothing is added per line here.
        """
        timeout = max(self.calls.upstream.timeout, STREAM_TIMEOUT_SECONDS)
        async with self.calls.stream("GET", "/v1/facts", params={"region": region, "as_of": as_of.isoformat()},
                                     timeout=timeout) as response:
            yield response.aiter_bytes()


Registry = Annotated[RegistryClient, Depends(caller_upstream(NAME, RegistryClient))]
"""The registry, called with the caller's own token."""
