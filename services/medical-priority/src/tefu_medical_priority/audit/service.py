"""What the lookup log shows auditors: rows with the number of the card each one read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_medical_priority.access_log.models import LookupLogEntry
from tefu_medical_priority.cards.models import Card
from tefu_medical_priority.cards.numbers import parse_card_no


class LookupLogOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "id": 1, "at": "2026-12-01T01:30:00Z", "subject": "his-H420106001", "role": "hospital",
        "institution": "H420106001", "endpoint": "GET /v1/cards/{card_no}", "how": "card_no",
        "card_no": "42010248219305716", "region_code": "420102", "outcome": "valid",
        "request_id": "5f0c6e0f3c1d4c8e9a4c2b7d1e0f9a3b"}]}}

    id: int
    at: datetime
    subject: str
    role: str
    institution: str | None
    endpoint: str
    how: str
    card_no: str | None
    region_code: str | None
    outcome: str
    request_id: str | None


async def card_filter(card_no: str | None = Query(None, description="Only the reads of this card.",
                                                   examples=["42010248219305716"])) -> list[Any]:
    """The log's own filter: the reads of one card."""
    if not card_no:
        return []
    card_id = select(Card.id).where(Card.card_no == parse_card_no(card_no, location="query")).scalar_subquery()
    return [LookupLogEntry.card_id == card_id]


async def present(session: AsyncSession, rows: list[LookupLogEntry]) -> list[LookupLogOut]:
    """The rows with the number of the card each read (one query for the page)."""
    ids = {row.card_id for row in rows if row.card_id is not None}
    numbers = dict((await session.execute(select(Card.id, Card.card_no).where(Card.id.in_(ids)))).all()) if ids else {}
    return [LookupLogOut(id=row.id, at=row.at, subject=row.subject, role=row.role, institution=row.institution,
                         endpoint=row.endpoint, how=row.how, card_no=numbers.get(row.card_id) if row.card_id else None,
                         region_code=row.region_code, outcome=row.outcome, request_id=row.request_id) for row in rows]
