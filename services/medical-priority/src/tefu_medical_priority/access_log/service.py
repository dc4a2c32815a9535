"""Writing a read of a card into the lookup log, inside the transaction of the request that read it.

Clerks' reads are logged this way; a hospital desk's lookup writes its row in the same statement
as its read (lookup/store.py). Either way no answer leaves without its committed row.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.request_context import current_request_id
from tefu_medical_priority.access_log.models import LookupLogEntry


async def log_in_transaction(session: AsyncSession, *, subject: str, role: str, institution: str | None, endpoint: str,
                             how: str, card_id: int | None, region_code: str | None, outcome: str) -> None:
    await session.execute(insert(LookupLogEntry), [{
        "at": datetime.now(timezone.utc), "subject": subject, "role": role, "institution": institution,
        "endpoint": endpoint, "how": how, "card_id": card_id, "region_code": region_code, "outcome": outcome,
        "request_id": current_request_id()}])
