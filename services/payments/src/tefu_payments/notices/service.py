"""Recording notices as a return file fails lines, delivering them, and who is held meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_common.scoping import scoped
from tefu_common.upstream import UpstreamFailed, UpstreamRefused, UpstreamUnavailable
from tefu_payments.notices.models import RegisterNotice
from tefu_payments.notices.reasons import code_of, task_kind

log = logging.getLogger("tefu.payments.notices")
SEND_AT_ONCE = 100


async def record(session: AsyncSession, region_code: str, failed: Iterable[Any]) -> int:
    """A notice for each failed line (``LedgerLine``) whose reason the register must act on, once
    per line and kind (a return file posted again adds none)."""
    wanted = [(line, kind) for line in failed if line.member_id is not None
              and (kind := task_kind(line.failure_reason or "")) is not None]
    if not wanted:
        return 0
    known = set((await session.execute(select(RegisterNotice.reference, RegisterNotice.kind).where(
        RegisterNotice.reference.in_([line.reference for line, _ in wanted])))).all())
    now = datetime.now(timezone.utc)
    added = 0
    for line, kind in wanted:
        if (line.reference, kind) in known:
            continue
        session.add(RegisterNotice(reference=line.reference, batch_id=line.batch_id, region_code=region_code,
                                   family_id=line.family_id, member_id=line.member_id, kind=kind,
                                   reason_code=code_of(line.failure_reason or ""),
                                   reason=(line.failure_reason or "")[:200], created_at=now, attempts=0))
        added += 1
    await session.flush()
    return added


async def undelivered_members(session: AsyncSession, region_code: str) -> set[int]:
    """Members of the region with a notice not yet delivered: held as if their task were open."""
    query = scoped(select(RegisterNotice.member_id).where(RegisterNotice.sent_at.is_(None)),
                   RegisterNotice.region_code, region_code)
    return set((await session.scalars(query)).all())


async def send_pending(sessionmaker: async_sessionmaker[AsyncSession], registry: Any) -> int:
    """Deliver undelivered notices (oldest first, a hundred at a time); the number delivered.
    An unreachable registry leaves them for the next round; a refusal is kept on the notice."""
    async with sessionmaker() as session, session.begin():
        pending = list((await session.scalars(select(RegisterNotice).where(RegisterNotice.sent_at.is_(None))
                                              .order_by(RegisterNotice.id).limit(SEND_AT_ONCE))).all())
        delivered = 0
        for notice in pending:
            notice.attempts += 1
            try:
                task = await registry.open_review_task(member_id=notice.member_id, kind=notice.kind,
                                                       source_ref=notice.reference, reason_code=notice.reason_code,
                                                       reason=notice.reason)
            except UpstreamUnavailable as exc:
                notice.last_error = str(exc)[:300]
                break  # the registry is away: the rest wait with this one
            except (UpstreamRefused, UpstreamFailed) as exc:
                notice.last_error = str(exc)[:300]
                log.warning("the registry refused the notice of line %s: %s", notice.reference, exc)
                continue
            notice.sent_at, notice.task_id, notice.last_error = datetime.now(timezone.utc), task["id"], None
            delivered += 1
    return delivered
