"""Following the registry's change feed, and the daily re-check, in the background of the service.

Each round:
1. reads a page of the change feed after the stored cursor and, in the same transaction, queues
   the families it names and stores the new cursor (so a restart neither skips nor loses one;
   a family changed five times is queued once); a ``liaison_assigned`` change marks the family's
   liaisons to be read again;
2. checks the queued families that are due (a few at a time), each in its own transaction, and
   takes a family off the queue only when its cards (and, if marked, the desk's copy of its
   liaisons) are right; if a service is down the family stays queued with a later retry;
3. once a day after ``recheck_hour`` (China time): expires cards past their last day and
   re-checks every family, which catches what changes with the calendar rather than with the
   register (a document going out of force, say) and renews expired cards.

Beside it, a task of its own runs bulk passes (sync/bulk.py) over the whole register: the first
follow of a register, the daily re-check, and a backlog of more than ``bulk_backlog`` families;
on PostgreSQL each in a child process (sync/bulk_process.py), off the service's event loop.
A pass starts by marking its start time; the changes of the feed from before that time (less a
margin) are then covered by the pass and not queued one by one (a liaison change still has its
liaisons read, cheaply, after everything else), and families already queued then are taken off
the queue. Changes after the mark are checked family by family as they come, while the pass
runs: fresh changes never wait behind bulk work. A pass cut short (a restart, a service down)
runs again from the beginning. With ``bulk_reconcile`` off, the daily re-check queues every
holder's family instead and everything is checked one family at a time.

On PostgreSQL, advisory locks let several replicas run this side by side: one reads the feed at
a time, one runs a bulk pass at a time, and a family is checked by one replica (or batch) at a
time.
"""

from __future__ import annotations

import asyncio
import logging
from time import monotonic as time_now
from collections.abc import Awaitable, Callable, Collection
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.calendar import CHINA, today
from tefu_common.db import Database, UtcDateTime
from tefu_common.errors import ProblemError
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.liaisons.mirror import LIAISON_CHANGE, refresh_liaisons
from tefu_medical_priority.lookup import quota
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_medical_priority.sync.bulk import BulkPass
from tefu_medical_priority.sync.bulk_process import run_in_child
from tefu_medical_priority.sync.models import DailyRun, FamilyCheck, FeedCursor, PendingFamily
from tefu_medical_priority.sync.queue import LIAISONS_ONLY, enqueue, insert_for, recheck_one_by_one
from tefu_medical_priority.sync.reconcile import reconcile_family
from tefu_medical_priority.upstreams import EligibilityClient, RegistryClient

log = logging.getLogger("tefu.cards.follower")
FEED = "registry"
PAGE = 1000
FEED_LOCK = 0x7EF0_0001
BULK_LOCK = 0x7EF0_0002
BULK_STARTED, BULK_DONE = "bulk_started", "bulk_done"


def _now() -> datetime:
    return datetime.now(timezone.utc)


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
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._daily_seen_on: date | None = None  # the day this process last found the daily job done
        self.last_bulk: dict[str, object] | None = None  # what the last bulk pass of this process did

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._tasks = [asyncio.create_task(self._run(), name="registry-follower")]
        if self.settings.bulk_reconcile:
            self._tasks.append(asyncio.create_task(self._run_bulk(), name="card-bulk"))

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []

    async def _run(self) -> None:
        await self._keep_going(self.round, "following the registry")

    async def _keep_going(self, step: Callable[[], Awaitable[bool]], what: str) -> None:
        """Run ``step`` until stopped: again at once while it says there is more, else after the
        interval, backing off while a service is down or refusing (said in the log, never fatal)."""
        failures = 0
        while not self._stopping.is_set():
            try:
                busy = await step()
                failures = 0
            except ProblemError as exc:
                failures += 1
                log.warning("%s: %s", what, exc)
                busy = False
            except Exception:
                failures += 1
                log.exception("%s failed", what)
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
            covered = await covered_until(session, timedelta(seconds=self.settings.bulk_cover_margin_seconds))
            fresh = [item for item in items if covered is None or _occurred(item) >= covered]
            await enqueue(session, [item["family_id"] for item in fresh], priority=0, reason="change",
                          liaisons={item["family_id"] for item in fresh if item["kind"] == LIAISON_CHANGE})
            await enqueue(session, [item["family_id"] for item in items if item["kind"] == LIAISON_CHANGE
                                    and covered is not None and _occurred(item) < covered],
                          priority=2, reason=LIAISONS_ONLY, liaisons={item["family_id"] for item in items})
            if cursor is None:
                session.add(FeedCursor(feed=FEED, cursor=next_after, updated_at=_now()))
            elif next_after != after:
                cursor.cursor, cursor.updated_at = next_after, _now()
        return len(items)

    async def check_due_families(self) -> int:
        async with self.sessionmaker() as session:
            due = (await session.execute(
                select(PendingFamily.family_id, PendingFamily.enqueued_at, PendingFamily.liaisons_due,
                       PendingFamily.reason)
                .where(PendingFamily.next_attempt_at <= _now())
                .order_by(PendingFamily.priority, PendingFamily.enqueued_at)
                .limit(self.settings.follow_concurrency * 8))).all()
        if not due:
            return 0
        gate = asyncio.Semaphore(self.settings.follow_concurrency)

        async def one(family_id: int, enqueued_at: datetime, liaisons_due: bool, reason: str) -> int:
            async with gate:
                return await self.check_family(family_id, enqueued_at, liaisons_due=liaisons_due,
                                               cards_due=reason != LIAISONS_ONLY)

        return sum(await asyncio.gather(*(one(f, at, liaisons, reason) for f, at, liaisons, reason in due)))

    async def check_family(self, family_id: int, enqueued_at: datetime, *, liaisons_due: bool = False,
                           cards_due: bool = True) -> int:
        try:
            async with self.sessionmaker() as session, session.begin():
                if not await _try_lock(session, family_id):
                    return 0  # another replica has it
                if liaisons_due:
                    await refresh_liaisons(session, self.registry, family_id)
                if cards_due:
                    await reconcile_family(session, self.registry, self.eligibility, family_id, today=today(),
                                           validity_years=self.settings.card_validity_years)
                    await _mark_checked(session, family_id)
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
            statement = insert_for(session)(DailyRun).values(job="recheck", ran_on=day, at=_now())
            statement = statement.on_conflict_do_update(
                index_elements=["job"], set_={"ran_on": day, "at": _now()}, where=DailyRun.ran_on < day)
            if (await session.execute(statement.returning(DailyRun.job))).first() is None:
                self._daily_seen_on = day  # another replica, or an earlier run of this one, did it
                return
            expired = (await session.execute(select(Card).where(Card.status.in_(LIVE_STATES), Card.valid_until < day))).scalars().all()
            for card in expired:
                await cards.change_status(session, card, to="expired", reason="expired", actor=cards.SYNC_ACTOR,
                                          note=f"有效期至 {card.valid_until}，已过期")
            if not self.settings.bulk_reconcile:
                await self._queue_every_holder(session, expired)
        self._daily_seen_on = day
        await quota.forget_old_windows(self.database)
        log.info("daily re-check %s; %d cards expired", "to run in bulk" if self.settings.bulk_reconcile else "queued",
                 len(expired))

    async def _queue_every_holder(self, session: AsyncSession, expired: Collection[Card]) -> None:
        """The daily re-check one family at a time (bulk passes off): every holder's family queued."""
        now = _now()
        source = select(Card.family_id, literal(1), literal("daily_recheck"), literal(now, UtcDateTime()), literal(0),
                        literal(now, UtcDateTime())).where(Card.status.in_(LIVE_STATES)).distinct()
        await session.execute(insert_for(session)(PendingFamily).from_select(
            ["family_id", "priority", "reason", "enqueued_at", "attempts", "next_attempt_at"], source
        ).on_conflict_do_nothing(index_elements=["family_id"]))
        await enqueue(session, [c.family_id for c in expired], priority=1, reason="expired")

    # --- bulk passes -------------------------------------------------------------------------------

    async def _run_bulk(self) -> None:
        await self._keep_going(self.bulk_if_due, "bulk pass over the register")

    async def bulk_due(self) -> str | None:
        """Why a bulk pass should run now, or None."""
        async with self.sessionmaker() as session:
            jobs = {row.job: row for row in (await session.scalars(select(DailyRun).where(
                DailyRun.job.in_([BULK_STARTED, BULK_DONE, "recheck"])))).all()}
            started, done, recheck = jobs.get(BULK_STARTED), jobs.get(BULK_DONE), jobs.get("recheck")
            if done is None:
                return "first_follow" if started is None else "resumed"
            if started is not None and started.at > done.at:
                return "resumed"
            day = datetime.now(CHINA).date()
            if recheck is not None and recheck.ran_on == day and done.ran_on < day:
                return "daily_recheck"  # the day's expiry has run: now every family
            backlog = await session.scalar(select(func.count()).select_from(PendingFamily).where(
                PendingFamily.reason != LIAISONS_ONLY))
            if backlog and backlog > self.settings.bulk_backlog:
                return "backlog"
        return None

    async def bulk_if_due(self) -> bool:
        reason = await self.bulk_due()
        if reason is None:
            return False
        return await self.bulk(reason)

    async def bulk(self, reason: str) -> bool:
        """One bulk pass, unless another replica runs one; True if it ran."""
        engine = self.database.engine
        async with engine.connect() as holder:
            if engine.dialect.name == "postgresql":
                if not await holder.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": BULK_LOCK}):
                    return False
                await holder.commit()
            try:
                await self._bulk(reason)
            finally:
                if engine.dialect.name == "postgresql":
                    await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": BULK_LOCK})
                    await holder.commit()
        return True

    async def _bulk(self, reason: str) -> None:
        start = _now()
        day = today()
        async with self.sessionmaker() as session, session.begin():
            await _mark(session, BULK_STARTED, day, start)
            # What is queued now is covered by the pass: its liaisons still to be read, its cards not.
            await session.execute(update(PendingFamily).where(PendingFamily.enqueued_at <= start,
                                                              PendingFamily.liaisons_due.is_(True))
                                  .values(reason=LIAISONS_ONLY, priority=2))
            await session.execute(delete(PendingFamily).where(PendingFamily.enqueued_at <= start,
                                                              PendingFamily.liaisons_due.is_(False)))
        started = time_now()
        if self.database.engine.dialect.name == "postgresql":
            # In a process of its own (sync/bulk_process.py): the service's loop stays free for the
            # desk, the clerks and the fresh changes of the feed.
            counts = await run_in_child(self.settings, day, workers=self.settings.bulk_workers)
        else:
            bulk = BulkPass(self.sessionmaker, self.registry, self.eligibility, region=self.settings.register_region,
                            today=day, validity_years=self.settings.card_validity_years, workers=1,
                            handoff=recheck_one_by_one)
            counts = await bulk.run()
        async with self.sessionmaker() as session, session.begin():
            await _mark(session, BULK_DONE, day, start)
        seconds = time_now() - started
        self.last_bulk = {"reason": reason, "seconds": round(seconds, 3), **counts.as_dict()}
        log.info("bulk pass (%s): %d families in %.1f s, %d cards issued, %d revoked, %d brought up to date, "
                 "%d handed to the one-family path", reason, counts.families, seconds, counts.issued, counts.revoked,
                 counts.refreshed, counts.handed_off, extra={"bulk": self.last_bulk})


async def covered_until(session: AsyncSession, margin: timedelta) -> datetime | None:
    """Changes before this are covered by a bulk pass that has run or is running (``margin``
    before its start: a change committed before the pass read the register)."""
    started = await session.get(DailyRun, BULK_STARTED)
    return started.at - margin if started is not None else None


def _occurred(item: dict[str, object]) -> datetime:
    value = datetime.fromisoformat(str(item["occurred_at"]).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def _mark(session: AsyncSession, job: str, day: date, at: datetime) -> None:
    statement = insert_for(session)(DailyRun).values(job=job, ran_on=day, at=at)
    await session.execute(statement.on_conflict_do_update(index_elements=["job"], set_={"ran_on": day, "at": at}))


async def _mark_checked(session: AsyncSession, family_id: int) -> None:
    """The family was just checked on its own (see sync/bulk.py)."""
    statement = insert_for(session)(FamilyCheck).values(family_id=family_id, checked_at=_now())
    await session.execute(statement.on_conflict_do_update(index_elements=["family_id"],
                                                          set_={"checked_at": statement.excluded.checked_at}))
