"""Reading a family's events back.

Events name no one by name, but a disability certificate number embeds the child's ID number, so
the events are read here only for a family the caller's repository has already found in the
caller's region (``families.repository``), which logs the read when the events are shown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_registry.events.models import LifeEvent


async def family_events(session: AsyncSession, family_id: int) -> list[LifeEvent]:
    """Every event of the family, corrections included, in the order they were recorded."""
    query = select(LifeEvent).where(LifeEvent.family_id == family_id).order_by(LifeEvent.id)
    return list((await session.scalars(query)).all())
