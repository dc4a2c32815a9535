"""Following the registry's change feed, and the daily re-check, in the background of the service.

Each round:
1. reads a page of the change feed after the stored cursor and, in the same transaction, queues
   the families it names and stores the new cursor (so a restart neither skips nor loses one;
   a family changed five times is queued once); a ``liaison_assigned`` change marks the family's
   liaisons to be read again;
2. checks the queued families that are due (a few at a time), each in its own transaction, and
   takes a family off the queue only when its cards (and, if marked, the desk's copy of its
   liaisons) are right; if a service is down the family stays queued with a later retry;
3. once a day after ``recheck_hour`` (China time): expires cards past their last day and queues
   every holder's family for a re-check, which catches what changes with the calendar rather
   than with the register (a document going out of force, say) and renews expired cards.

On PostgreSQL, advisory locks let several replicas run this side by side: one reads the feed at
a time, and a family is checked by one replica at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.calendar import CHINA, today
from tefu_common.db import Database, UtcDateTime
from tefu_common.errors import ProblemError
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.liaisons.mirror import LIAISON_CHANGE, refresh_liaisons
from tefu_medical_priority.lookup import quota
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_medical_priority.sync.models import DailyRun, FeedCursor, PendingFamily
from tefu_medical_priority.sync.reconcile import reconcile_family
from tefu_medical_priority.upstreams import EligibilityClient, RegistryClient

log = logging.getLogger("tefu.cards.follower")
FEED = "registry"
PAGE = 500
FEED_LOCK = 0x7EF0_0001


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def enqueue(session: AsyncSession, family_ids: list[int], *, priority: int, reason: str,
                  liaisons: Collection[int] = ()) -> None:
    """Queue families; one already queued keeps its place, is due now and takes the higher priority.
    Families in ``liaisons`` have their liaisons read again (a mark that stays until they are)."""
    if not family_ids:
        return
    now = _now()
    statement = _insert(session)(PendingFamily).values([
        {"family_id": f, "priority": priority, "reason": reason, "enqueued_at": now, "attempts": 0,
         "next_attempt_at": now, "liaisons_due": f in liaisons} for f in sorted(set(family_ids))])
    statement = statement.on_conflict_do_update(index_elements=["family_id"], set_={
        "priority": func.min(PendingFamily.priority, statement.excluded.priority)
        if session.bind.dialect.name == "sqlite" else func.least(PendingFamily.priority, statement.excluded.priority),
        "enqueued_at": statement.excluded.enqueued_at, "next_attempt_at": statement.excluded.next_attempt_at,
        "attempts": 0, "liaisons_due": or_(PendingFamily.liaisons_due, statement.excluded.liaisons_due)})
    await session.execute(statement)


async def _try_lock(session: AsyncSession, key: int) -> bool:
    if session.bind.dialect.name != "postgresql":
        return True  # SQLite has one writer at a time anyway
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


class Follower:
    """The background task; it calls the registry and eligibility with this service's own token."""

    def __init__(self, database: Database, registry: RegistryClient, eligibility: EligibilityClient,
                 settings: MedicalPrioritySettings) -> None:
        self.database = database
        self.sessionmaker = database.sessionmaker
        self.registry = registry
        self.eligibility = eligibility
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._daily_seen_on: date | None = None  # the day this process last found the daily job done

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="registry-follower")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                busy = await self.round()
                failures = 0
            except ProblemError as exc:  # a service down or refusing: say so, back off, keep going
                failures += 1
                log.warning("following the registry: %s", exc)
                busy = False
            except Exception:
                failures += 1
                log.exception("following the registry failed")
                busy = False
            if not busy:
                delay = self.settings.follow_interval_seconds * min(2 ** failures, 30)
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass

    async def round(self) -> bool:
        """One pass; True if there may be more to do at once."""
        await self.daily()
        read = await self.read_feed()
        checked = await self.check_due_families()
        return read >= PAGE or checked > 0

    async def read_feed(self) -> int:
        async with self.sessionmaker() as session, session.begin():
            if not await _try_lock(session, FEED_LOCK):
                return 0  # another replica is reading it
            cursor = await session.get(FeedCursor, FEED, with_for_update=session.bind.dialect.name == "postgresql")
            after = cursor.cursor if cursor else 0
            # The feed's position is an integer of its own (after / next_after), not a page cursor:
            # a feed has no last page, so it is resumed from, never walked to an end.
            items, next_after = await self.registry.changes(after, PAGE)
            await enqueue(session, [item["family_id"] for item in items], priority=0, reason="change",
                          liaisons={item["family_id"] for item in items if item["kind"] == LIAISON_CHANGE})
            if cursor is None:
                session.add(FeedCursor(feed=FEED, cursor=next_after, updated_at=_now()))
            elif next_after != after:
                cursor.cursor, cursor.updated_at = next_after, _now()
        return len(items)

    async def check_due_families(self) -> int:
        async with self.sessionmaker() as session:
            due = (await session.execute(
                select(PendingFamily.family_id, PendingFamily.enqueued_at, PendingFamily.liaisons_due)
                .where(PendingFamily.next_attempt_at <= _now())
                .order_by(PendingFamily.priority, PendingFamily.enqueued_at)
                .limit(self.settings.follow_concurrency * 8))).all()
        if not due:
            return 0
        gate = asyncio.Semaphore(self.settings.follow_concurrency)

        async def one(family_id: int, enqueued_at: datetime, liaisons_due: bool) -> int:
            async with gate:
                return await self.check_family(family_id, enqueued_at, liaisons_due=liaisons_due)

        return sum(await asyncio.gather(*(one(f, at, liaisons) for f, at, liaisons in due)))

    async def check_family(self, family_id: int, enqueued_at: datetime, *, liaisons_due: bool = False) -> int:
        try:
            async with self.sessionmaker() as session, session.begin():
                if not await _try_lock(session, family_id):
                    return 0  # another replica has it
                if liaisons_due:
                    await refresh_liaisons(session, self.registry, family_id)
                await reconcile_family(session, self.registry, self.eligibility, family_id, today=today(),
                                       validity_years=self.settings.card_validity_years)
                # Off the queue, unless a newer change queued it again while we worked.
                await session.execute(delete(PendingFamily).where(PendingFamily.family_id == family_id,
                                                                  PendingFamily.enqueued_at == enqueued_at))
            return 1
        except Exception as exc:
            await self._retry_later(family_id, exc)
            if not isinstance(exc, ProblemError):
                log.exception("checking family %s failed", family_id)
            return 0

    async def _retry_later(self, family_id: int, exc: Exception) -> None:
        # In Chinese (the default language outside a request): clerks may read it in the queue.
        detail = exc.detail if isinstance(exc, ProblemError) else None
        message = str(detail) if detail is not None else f"{type(exc).__name__}: {exc}"
        async with self.sessionmaker() as session, session.begin():
            pending = await session.get(PendingFamily, family_id)
            if pending is not None:
                pending.attempts += 1
                pending.next_attempt_at = _now() + timedelta(seconds=min(5 * 2 ** pending.attempts, 3600))
                pending.last_error = message[:300]

    async def daily(self) -> None:
        now_china = datetime.now(CHINA)
        if now_china.time() < time(self.settings.recheck_hour):
            return
        day = now_china.date()
        if self._daily_seen_on == day:
            return
        async with self.sessionmaker() as session, session.begin():
            # The row is the lock: of several replicas, the one whose insert or update lands runs the job.
            statement = _insert(session)(DailyRun).values(job="recheck", ran_on=day, at=_now())
            statement = statement.on_conflict_do_update(
                index_elements=["job"], set_={"ran_on": day, "at": _now()}, where=DailyRun.ran_on < day)
            if (await session.execute(statement.returning(DailyRun.job))).first() is None:
                self._daily_seen_on = day  # another replica, or an earlier run of this one, did it
                return
            expired = (await session.execute(select(Card).where(Card.status.in_(LIVE_STATES), Card.valid_until < day))).scalars().all()
            for card in expired:
                await cards.change_status(session, card, to="expired", reason="expired", actor=cards.SYNC_ACTOR,
                                          note=f"有效期至 {card.valid_until}，已过期")
            now = _now()
            source = select(Card.family_id, literal(1), literal("daily_recheck"), literal(now, UtcDateTime()), literal(0),
                            literal(now, UtcDateTime())).where(Card.status.in_(LIVE_STATES)).distinct()
            await session.execute(_insert(session)(PendingFamily).from_select(
                ["family_id", "priority", "reason", "enqueued_at", "attempts", "next_attempt_at"], source
            ).on_conflict_do_nothing(index_elements=["family_id"]))
            await enqueue(session, [c.family_id for c in expired], priority=1, reason="expired")
        self._daily_seen_on = day
        await quota.forget_old_windows(self.database)
        log.info("daily re-check queued; %d cards expired", len(expired))
