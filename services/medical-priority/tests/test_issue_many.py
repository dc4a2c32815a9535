"""Cards issued many at once (cards.service.issue_many, what a bulk pass writes): every holder gets
one card with its history, as one by one, and the rare conflicts (a holder who meanwhile got a
live card, a number already taken) are sorted out without losing the rest of the batch."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tefu_common.db import Database
from tefu_medical_priority.cards import numbers
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.cards.standing import Holder, Standing

from .conftest import id_number

REGION = "420303"  # 张湾区: no other test of this service issues cards here
STANDING = Standing(services=["registration", "payment"], privileges=["fee_waiver"], citation="鄂卫生计生通〔2016〕89号 三（三）")


def holder(member: int) -> Holder:
    return Holder(member_id=member, family_id=member // 2, role="mother" if member % 2 else "father", region_code=REGION,
                  name=f"王{member}英", id_number=id_number(REGION, "1962-05-01", member), sex="female", birth_year=1962)


async def issue_many(database: Database, members: list[int]) -> list[str]:
    async with database.sessionmaker() as session, session.begin():
        return await cards.issue_many(session, [(holder(m), STANDING) for m in members], actor=cards.SYNC_ACTOR,
                                      today=date(2026, 12, 3), validity_years=5)


async def cards_of(database: Database, members: list[int]) -> dict[int, list[tuple[str, str]]]:
    async with database.sessionmaker() as session:
        rows = (await session.execute(select(Card.member_id, Card.card_no, Card.status, Card.holder_name)
                                      .where(Card.member_id.in_(members)).order_by(Card.id))).all()
        events = dict((await session.execute(select(CardEvent.card_id, func.count()).join(Card, Card.id == CardEvent.card_id)
                                             .where(Card.member_id.in_(members)).group_by(CardEvent.card_id))).all())
        ids = dict((await session.execute(select(Card.card_no, Card.id).where(Card.member_id.in_(members)))).all())
    found: dict[int, list[tuple[str, str]]] = {m: [] for m in members}
    for member, card_no, status, name in rows:
        assert name == f"王{member}英"  # decrypted as written
        assert events[ids[card_no]] == 1  # its history: issued
        found[member].append((card_no, status))
    return found


async def test_a_batch_gives_each_holder_one_card_and_its_history(client, database_url):  # noqa: ARG001 - field encryption
    database = Database(database_url)
    try:
        members = list(range(81000, 81040))
        issued = await issue_many(database, members)
        found = await cards_of(database, members)
        assert sorted(issued) == sorted(card_no for held in found.values() for card_no, _ in held)
        assert all(len(held) == 1 and held[0][1] == "active" for held in found.values())
    finally:
        await database.dispose()


async def test_a_holder_who_meanwhile_got_a_card_is_left_out_and_the_rest_land(client, database_url):  # noqa: ARG001
    database = Database(database_url)
    try:
        members = list(range(82000, 82030))
        [first] = await issue_many(database, [82007])  # a clerk's hand issue, say, just before the batch
        issued = await issue_many(database, members)
        found = await cards_of(database, members)
        assert found[82007] == [(first, "active")]  # still one live card, the one it had
        assert len(issued) == len(members) - 1
        assert all(len(found[m]) == 1 for m in members)
    finally:
        await database.dispose()


async def test_a_number_already_taken_is_drawn_again(client, database_url, monkeypatch):  # noqa: ARG001
    database = Database(database_url)
    try:
        [taken] = await issue_many(database, [83000])
        drawn = numbers.new_card_numbers

        def with_one_taken(regions: list[str]) -> list[str]:
            fresh = drawn(regions)
            monkeypatch.setattr(cards, "new_card_numbers", drawn)  # only the first draw repeats a number
            return [taken, *fresh[1:]]

        monkeypatch.setattr(cards, "new_card_numbers", with_one_taken)
        members = list(range(83001, 83021))
        issued = await issue_many(database, members)
        found = await cards_of(database, members)
        assert taken not in issued and len(issued) == len(members)
        assert all(len(held) == 1 for held in found.values())
    finally:
        await database.dispose()
