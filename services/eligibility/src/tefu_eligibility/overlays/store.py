"""What the catalogue reads of the overlays: the approved values, and a stamp that says when they changed.

The stamp is one primary-key read (``overlay_state``), so a request can check it cheaply and load
the overlays again only when it differs from the stamp of the values it holds. It changes with
every approval, which is the only thing that changes the set of approved values or their periods
(closing an earlier value happens in the approval's transaction).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_eligibility.catalogue.overlay_layers import OverlayValue
from tefu_eligibility.overlays.models import OverlayState, ParameterOverlay

STATE_ID = 1
NO_APPROVALS = "0"


def _stamp(state: OverlayState | None) -> str:
    if state is None:
        return NO_APPROVALS
    # The time as well as the count: a database emptied and approved into again never repeats a stamp.
    return f"{state.version}-{state.changed_at.astimezone(timezone.utc):%Y%m%dT%H%M%S%f}"


async def overlay_stamp(session: AsyncSession) -> str:
    """The stamp of the approved overlays (``"0"`` before the first approval): one primary-key read."""
    return _stamp(await session.scalar(select(OverlayState).where(OverlayState.id == STATE_ID)))


async def approved_overlays(session: AsyncSession) -> tuple[str, list[OverlayValue]]:
    """The stamp and every approved overlay, by region, parameter and start.

    The stamp is read first: under read-committed isolation the rows are then at least as new as
    the stamp, so values held under a stamp are never older than it says.
    """
    stamp = await overlay_stamp(session)
    rows = (await session.scalars(
        select(ParameterOverlay).where(ParameterOverlay.status == "approved")
        .order_by(ParameterOverlay.region_code, ParameterOverlay.parameter, ParameterOverlay.valid_from))).all()
    return stamp, [overlay_value(row) for row in rows]


def overlay_value(row: ParameterOverlay) -> OverlayValue:
    if row.status != "approved" or row.decided_by is None or row.decided_at is None:
        raise ValueError(f"overlay {row.id} is {row.status}, not approved")
    return OverlayValue(id=row.id, region=row.region_code, parameter=row.parameter, value=row.value,
                        valid_from=row.valid_from, valid_to=row.valid_to, document=row.document, clause=row.clause,
                        note=row.note, approved_by=row.decided_by, approved_at=row.decided_at)


async def bump_stamp(session: AsyncSession, at: datetime) -> None:
    """Count one more approval, in the caller's transaction.

    One upsert statement, so the first approval needs no row made beforehand (and an emptied
    database works). On PostgreSQL it also takes the row's lock until the transaction ends: two
    approvals run one after the other, and the second sees what the first closed.
    """
    dialect = session.bind.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OverlayState).values(id=STATE_ID, version=1, changed_at=at)
    statement = statement.on_conflict_do_update(
        index_elements=[OverlayState.id],
        set_={"version": OverlayState.version + 1, "changed_at": statement.excluded.changed_at})
    await session.execute(statement)
