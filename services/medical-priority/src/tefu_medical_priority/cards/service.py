"""A card's life: issue, suspend, reinstate, revoke, reissue, expire, each change in the card's history.

Whoever acts (the change-feed follower as ``sync``, or a clerk) goes through these functions, so
the rules hold for both: one live card per member (also a database constraint), a revoked or
expired card never comes back, and every change has a reason and an actor.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.bulk import insert_columns, insert_new_columns
from tefu_common.errors import Conflict
from tefu_common.db import savepoint
from tefu_common.field_crypto import get_blind_index, get_field_cipher
from tefu_common.i18n import Text
from tefu_common.masking import mask_name
from tefu_medical_priority.cards.models import LIVE_STATES, Card, CardEvent
from tefu_medical_priority.cards.numbers import new_card_number, new_card_numbers
from tefu_medical_priority.cards.standing import Holder, Standing

SYNC_ACTOR = "sync"
ID_CONTEXT = "card.id_number"
NAME_CONTEXT = "card.holder_name"
STATUS_NAMES = {"active": "有效", "suspended": "已暂停", "revoked": "已注销", "expired": "已过期"}


def id_number_index(value: str) -> str:
    return get_blind_index().compute(value, context=ID_CONTEXT)


def name_index(value: str) -> str:
    return get_blind_index().compute(value, context=NAME_CONTEXT)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def valid_until(issued_on: date, years: int) -> date:
    """The day before the same date ``years`` later (29 February issues end on 28 February)."""
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:
        anniversary = date(issued_on.year + years, 3, 1)
    return date.fromordinal(anniversary.toordinal() - 1)


def effective_status(card: Card, today: date) -> str:
    """The status as of today: an active card past its last valid day is expired, job run or not."""
    if card.status in LIVE_STATES and today > card.valid_until:
        return "expired"
    return card.status


def _holder_columns(holder: Holder) -> dict[str, object]:
    return {
        "member_id": holder.member_id, "family_id": holder.family_id, "holder_role": holder.role,
        "region_code": holder.region_code, "holder_name": holder.name, "masked_name": mask_name(holder.name),
        "name_index": name_index(holder.name),
        "id_number": holder.id_number, "id_number_index": id_number_index(holder.id_number) if holder.id_number else None,
        "id_last4": holder.id_number[-4:] if holder.id_number else None,
        "sex": holder.sex, "birth_year": holder.birth_year,
    }


async def issue(session: AsyncSession, *, holder: Holder, standing: Standing, actor: str, today: date,
                validity_years: int, reason: str = "qualified", note: str | None = None,
                replaces: Card | None = None) -> Card:
    """A new active card for the holder; 409 if the member already has a live card."""
    now = _now()
    for _ in range(5):
        card = Card(card_no=new_card_number(holder.region_code), status="active", issued_on=today,
                    valid_until=valid_until(today, validity_years), services=list(standing.services),
                    privileges=list(standing.privileges), rule_citation=standing.citation,
                    replaces_card_id=replaces.id if replaces else None, issued_by=actor, created_at=now, updated_at=now,
                    **_holder_columns(holder))
        try:
            async with savepoint(session):  # a savepoint: a collision leaves the transaction usable
                session.add(card)
                await session.flush()
        except IntegrityError:
            if await live_card(session, holder.member_id) is not None:
                raise already_held(holder.member_id) from None
            continue  # the random number was taken (one in ten billion): draw another
        session.add(CardEvent(card_id=card.id, from_status=None, to_status="active", reason=reason, note=note,
                              actor=actor, at=now))
        await session.flush()
        return card
    raise Conflict(Text("暂时未能分配到空闲卡号，请重试", "no free card number could be drawn; retry"),
                   code="card-number-exhausted")


ROWS_PER_INSERT = 5000


async def issue_many(session: AsyncSession, wanted: list[tuple[Holder, Standing]], *, actor: str, today: date,
                     validity_years: int, reason: str = "qualified") -> list[str]:
    """:func:`issue` for many holders at once, with multi-row inserts of the cards and of their
    history (the same columns as one by one); the numbers of the cards issued. A holder who
    meanwhile got a live card (a clerk's hand issue) is left out, as :func:`issue` would refuse
    them; a number drawn twice is drawn again."""
    issued: list[str] = []
    for start in range(0, len(wanted), ROWS_PER_INSERT):
        issued += await _issue_rows(session, wanted[start:start + ROWS_PER_INSERT], actor=actor, today=today,
                                    validity_years=validity_years, reason=reason)
    return issued


async def _issue_rows(session: AsyncSession, wanted: list[tuple[Holder, Standing]], *, actor: str, today: date,
                      validity_years: int, reason: str) -> list[str]:
    now = _now()
    until = valid_until(today, validity_years)
    table = Card.__table__
    issued: list[str] = []
    pending = list(wanted)
    for _ in range(5):
        if not pending:
            return issued
        columns = _card_columns(pending, today=today, until=until, actor=actor, now=now)
        found = await insert_new_columns(session, table, columns, bound=BOUND_CARD_COLUMNS,
                                         returning=("id", "member_id", "card_no"))
        landed = {member: (card_id, card_no) for card_id, member, card_no in found}
        count = len(landed)
        await insert_columns(session, CardEvent.__table__, {
            "card_id": [card_id for card_id, _ in landed.values()], "from_status": [None] * count,
            "to_status": ["active"] * count, "reason": [reason] * count, "note": [None] * count,
            "actor": [actor] * count, "at": [now] * count})
        issued += [card_no for _, card_no in landed.values()]
        missed = [(h, s) for h, s in pending if h.member_id not in landed]
        if not missed:
            return issued
        held = set((await session.scalars(select(Card.member_id).where(
            Card.member_id.in_([h.member_id for h, _ in missed]), Card.status.in_(LIVE_STATES)))).all())
        pending = [(h, s) for h, s in missed if h.member_id not in held]  # the rest drew a number already taken
    raise Conflict(Text("暂时未能分配到空闲卡号，请重试", "no free card number could be drawn; retry"),
                   code="card-number-exhausted")


# Columns _card_columns hands over in the database's form: encrypted, or JSON text.
BOUND_CARD_COLUMNS = frozenset({"holder_name", "id_number", "services", "privileges"})


def _card_columns(pending: list[tuple[Holder, Standing]], *, today: date, until: date, actor: str,
                  now: datetime) -> dict[str, list[Any]]:
    """The columns of new cards, as :func:`issue` fills them, built column by column: a bulk
    pass issues a million cards, and a row of dicts through each column's type costs several
    times the encryption and the two blind indexes that are the real work."""
    count = len(pending)
    holders = [holder for holder, _ in pending]
    standings = [standing for _, standing in pending]
    cipher, index = get_field_cipher(), get_blind_index()
    names = [holder.name for holder in holders]
    ids = [holder.id_number for holder in holders]
    name_context, id_context = Card.__table__.c.holder_name.type.context, Card.__table__.c.id_number.type.context
    return {
        "card_no": new_card_numbers([holder.region_code for holder in holders]),
        "status": ["active"] * count, "issued_on": [today] * count, "valid_until": [until] * count,
        "services": [_json_text(standing.services) for standing in standings],
        "privileges": [_json_text(standing.privileges) for standing in standings],
        "rule_citation": [standing.citation for standing in standings],
        "replaces_card_id": [None] * count, "issued_by": [actor] * count,
        "created_at": [now] * count, "updated_at": [now] * count,
        "member_id": [holder.member_id for holder in holders], "family_id": [holder.family_id for holder in holders],
        "holder_role": [holder.role for holder in holders], "region_code": [holder.region_code for holder in holders],
        "holder_name": cipher.encrypt_many(names, context=name_context),
        "masked_name": [mask_name(name) for name in names],
        "name_index": [index.compute(name, context=NAME_CONTEXT) for name in names],
        "id_number": cipher.encrypt_many(ids, context=id_context),
        "id_number_index": [index.compute(i, context=ID_CONTEXT) if i else None for i in ids],
        "id_last4": [i[-4:] if i else None for i in ids],
        "sex": [holder.sex for holder in holders], "birth_year": [holder.birth_year for holder in holders],
    }


@lru_cache(maxsize=1024)
def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))  # as the JSON column's own serialiser writes it


def _json_text(values: list[str]) -> str:
    """A list of codes as the JSON column stores it; a register has a handful of distinct lists."""
    return _json_list(tuple(values))


async def change_status(session: AsyncSession, card: Card, *, to: str, reason: str, actor: str,
                        note: str | None = None) -> Card:
    previous = card.status
    card.status, card.status_reason, card.status_note = to, reason, note
    card.updated_at = _now()
    session.add(CardEvent(card_id=card.id, from_status=previous, to_status=to, reason=reason, note=note, actor=actor,
                          at=card.updated_at))
    await session.flush()
    return card


async def suspend(session: AsyncSession, card: Card, *, actor: str, note: str) -> Card:
    if card.status != "active":
        raise _wrong_status(card, Text("只有有效的卡才能暂停", "only an active card can be suspended"))
    return await change_status(session, card, to="suspended", reason="suspended", actor=actor, note=note)


async def reinstate(session: AsyncSession, card: Card, *, actor: str, note: str | None, today: date) -> Card:
    if card.status != "suspended":
        raise _wrong_status(card, Text("只有已暂停的卡才能恢复", "only a suspended card can be reinstated"))
    if today > card.valid_until:
        raise Conflict(Text(f"卡 {card.card_no} 已于 {card.valid_until} 到期，请重新发卡",
                            f"card {card.card_no} expired on {card.valid_until}; issue a new one"), code="card-expired")
    return await change_status(session, card, to="active", reason="reinstated", actor=actor, note=note)


async def revoke(session: AsyncSession, card: Card, *, reason: str, actor: str, note: str | None = None) -> Card:
    if card.status not in LIVE_STATES:
        raise _wrong_status(card, Text("卡已失效，无需再注销", "it is no longer live"))
    return await change_status(session, card, to="revoked", reason=reason, actor=actor, note=note)


async def reissue(session: AsyncSession, card: Card, *, reason: str, actor: str, note: str | None, today: date,
                  validity_years: int) -> Card:
    """A new number for the same holder (lost, damaged, details changed); the old number is revoked."""
    if card.status not in LIVE_STATES:
        raise _wrong_status(card, Text("已注销或过期的卡不能补换，请重新发卡",
                                       "a revoked or expired card is not reissued; issue a new one"))
    await change_status(session, card, to="revoked", reason="replaced", actor=actor, note=f"{reason}: {note}" if note else reason)
    holder = Holder(member_id=card.member_id, family_id=card.family_id, role=card.holder_role,
                    region_code=card.region_code, name=card.holder_name, id_number=card.id_number, sex=card.sex,
                    birth_year=card.birth_year)
    standing = Standing(services=card.services, privileges=card.privileges, citation=card.rule_citation)
    return await issue(session, holder=holder, standing=standing, actor=actor, today=today,
                       validity_years=validity_years, reason=f"reissued_{reason}", note=note, replaces=card)


def already_held(member_id: int) -> Conflict:
    return Conflict(Text(f"成员 {member_id} 已持有一张有效（或暂停）的卡，请对该卡办理补换",
                         f"member {member_id} already holds a live card; reissue that one instead"),
                    code="card-already-held")


def _wrong_status(card: Card, rule: Text) -> Conflict:
    status = card.status
    return Conflict(Text(f"卡 {card.card_no} 当前{STATUS_NAMES.get(status, status)}：{rule.zh}",
                         f"card {card.card_no} is {status}: {rule.en}"), code=f"card-{status}")


async def live_card(session: AsyncSession, member_id: int) -> Card | None:
    return await session.scalar(select(Card).where(Card.member_id == member_id, Card.status.in_(LIVE_STATES)))
