"""The one service the registry calls: eligibility, for the liaison duties.

The duties (contact frequencies, festival windows, event deadlines, liaison make-up) are dated
catalogue data of the eligibility service, like the benefit rules; the registry asks for them with
the caller's own token, so eligibility sees who asked. Routes get the client as a dependency
(:data:`Eligibility`); service code receives it as a parameter.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import Depends

from tefu_common.i18n import Text
from tefu_common.upstream import UpstreamCalls, caller_upstream

ELIGIBILITY = "eligibility"
LABELS = {ELIGIBILITY: Text("资格服务", "the eligibility service")}


def county_of(region_code: str) -> str:
    """The county (6 digits) whose duties apply to a region code of any finer level."""
    return region_code[:6]


class EligibilityClient:
    """The eligibility service, called with the caller's own token."""

    def __init__(self, calls: UpstreamCalls) -> None:
        self.calls = calls
        self._duties: dict[tuple[str, date], asyncio.Future[dict[str, Any]]] = {}  # one call per county and day

    async def duties(self, county: str, on: date) -> dict[str, Any]:
        """The duties in force in ``county`` on ``on`` (``GET /v1/duties``), asked once per request."""
        key = (county, on)
        if key not in self._duties:
            self._duties[key] = asyncio.ensure_future(self.calls.json(
                "GET", "/v1/duties", params={"region": county, "on": on.isoformat()}))
        try:
            return await self._duties[key]
        except Exception:
            self._duties.pop(key, None)  # not kept: the next family asks again
            raise

    async def festival_visit(self, county: str, festival: str, visited_on: date) -> dict[str, Any]:
        """Whether a festival visit on ``visited_on`` lies in the county's window (with the reason if not)."""
        answer: dict[str, Any] = await self.calls.json(
            "GET", "/v1/duties/festival-visit",
            params={"region": county, "festival": festival, "visited_on": visited_on.isoformat()})
        return answer


Eligibility = Annotated[EligibilityClient, Depends(caller_upstream(ELIGIBILITY, EligibilityClient))]
"""The eligibility service with the caller's token."""
