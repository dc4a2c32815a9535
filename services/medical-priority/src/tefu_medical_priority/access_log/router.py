"""``/v1/access-log``: every read of a card (hospital lookups, clerks' records), for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_common.regions import region_prefix
from tefu_medical_priority.access_log.models import LookupLogEntry
from tefu_medical_priority.cards.models import Card
from tefu_medical_priority.cards.service import parse_card_no

Auditor = Annotated[Principal, Depends(require(Scope.audit_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["access log"], responses={401: PROBLEM, 403: PROBLEM})


class LookupLogOut(BaseModel):
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


class LookupLogPage(BaseModel):
    items: list[LookupLogOut]
    next: int


@router.get("/access-log", response_model=LookupLogPage, summary="Who read which card, when, and what they learnt")
async def access_log(session: DbSession, caller: Auditor,
                     card_no: str | None = Query(None), institution: str | None = Query(None, description="Hospital code"),
                     subject: str | None = Query(None), since: datetime | None = Query(None),
                     until: datetime | None = Query(None), after: int = Query(0, ge=0),
                     limit: int = Query(500, ge=1, le=5000)) -> LookupLogPage:
    """Auditors of a region see the reads of their region's cards; lookups of numbers that match
    no card (`not_found`, a sign of guessing) and rate-limited ones have no region and are shown
    to national auditors."""
    query = (select(LookupLogEntry, Card.card_no).outerjoin(Card, Card.id == LookupLogEntry.card_id)
             .where(LookupLogEntry.id > after).order_by(LookupLogEntry.id).limit(limit))
    prefix = region_prefix(caller.region)
    if prefix:
        query = query.where(LookupLogEntry.region_code.startswith(prefix, autoescape=True))
    if card_no:
        query = query.where(Card.card_no == parse_card_no(card_no))
    if institution:
        query = query.where(LookupLogEntry.institution == institution)
    if subject:
        query = query.where(LookupLogEntry.subject == subject)
    if since:
        query = query.where(LookupLogEntry.at >= since)
    if until:
        query = query.where(LookupLogEntry.at < until)
    rows = (await session.execute(query)).all()
    items = [LookupLogOut(id=e.id, at=e.at, subject=e.subject, role=e.role, institution=e.institution,
                          endpoint=e.endpoint, how=e.how, card_no=number, region_code=e.region_code, outcome=e.outcome,
                          request_id=e.request_id) for e, number in rows]
    return LookupLogPage(items=items, next=items[-1].id if items else after)
