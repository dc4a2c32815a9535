"""The follower's daily job: cards past their last day expire, once a day; then every family is
re-checked, in a bulk pass (or, with bulk passes off, every holder's family is queued)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from tefu_common.db import Database
from tefu_common.upstream import Upstream
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.sync.follower import BULK_DONE, BULK_STARTED, Follower
from tefu_medical_priority.sync.models import DailyRun, PendingFamily
from tefu_medical_priority.upstreams import LABELS, EligibilityClient, RegistryClient


def follower(database: Database, settings, *, bulk: bool = False) -> Follower:  # type: ignore[no-untyped-def]
    """A follower whose calls would go nowhere: the daily job asks no other service."""
    registry = Upstream("registry", LABELS["registry"], "http://127.0.0.1:9").as_caller("Bearer none")
    eligibility = Upstream("eligibility", LABELS["eligibility"], "http://127.0.0.1:9").as_caller("Bearer none")
    return Follower(database, RegistryClient(registry), EligibilityClient(eligibility),
                    settings.model_copy(update={"recheck_hour": 0, "bulk_reconcile": bulk}))


async def test_the_daily_job_expires_cards_and_queues_every_holders_family_once(issue_card, settings, database_url):
    old = await issue_card("420102", issued_on=date(2019, 1, 10), family_id=880001, member_id=880011)
    current = await issue_card("420102", family_id=880002, member_id=880021)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(DailyRun.__table__.delete())
            await session.execute(PendingFamily.__table__.delete())
        await follower(database, settings).daily()
        async with database.sessionmaker() as session:
            cards = {c.card_no: c for c in (await session.scalars(select(Card).where(
                Card.card_no.in_([old, current])))).all()}
            assert cards[old].status == "expired" and cards[current].status == "active"
            event = (await session.scalars(select(CardEvent).where(CardEvent.card_id == cards[old].id)
                                           .order_by(CardEvent.id.desc()))).first()
            assert (event.to_status, event.reason, event.actor) == ("expired", "expired", "sync")
            queued = {p.family_id: p for p in (await session.scalars(select(PendingFamily))).all()}
            # The expired card's family, to renew the card if the family still qualifies; the other
            # holder's family for the day's re-check; both behind changes from the register.
            assert {880001, 880002} <= set(queued) and {queued[880001].priority, queued[880002].priority} == {1}
            await session.execute(PendingFamily.__table__.delete())
            await session.commit()
        await follower(database, settings).daily()  # another process, the same day: nothing more
        async with database.sessionmaker() as session:
            assert (await session.scalars(select(PendingFamily))).all() == []
    finally:
        await database.dispose()


async def test_with_bulk_passes_the_daily_job_expires_and_a_bulk_pass_is_due(issue_card, settings, database_url):
    old = await issue_card("420102", issued_on=date(2019, 1, 10), family_id=880101, member_id=880111)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(DailyRun.__table__.delete())
            await session.execute(PendingFamily.__table__.delete())
        bulk = follower(database, settings, bulk=True)
        assert await bulk.bulk_due() == "first_follow"  # never a pass: the register's first follow
        async with database.sessionmaker() as session, session.begin():
            for job in (BULK_STARTED, BULK_DONE):
                session.add(DailyRun(job=job, ran_on=date(2020, 1, 1), at=datetime(2020, 1, 1, tzinfo=timezone.utc)))
        assert await bulk.bulk_due() is None  # the day's expiry has not run yet
        await bulk.daily()
        async with database.sessionmaker() as session:
            card = await session.scalar(select(Card).where(Card.card_no == old))
            assert card.status == "expired"
            assert (await session.scalars(select(PendingFamily))).all() == []  # nothing queued one by one
        assert await bulk.bulk_due() == "daily_recheck"
        async with database.sessionmaker() as session, session.begin():
            started = await session.get(DailyRun, BULK_STARTED)
            started.at = datetime.now(timezone.utc)  # a pass started and never finished
        assert await bulk.bulk_due() == "resumed"
    finally:
        await database.dispose()
