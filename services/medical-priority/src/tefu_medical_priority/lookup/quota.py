"""The rate limit on lookups by name and ID number: so many per hospital per minute.

Counted in the database (one row per hospital and minute, incremented in one statement), so the
limit holds however many replicas serve the hospital and survives restarts. Only this kind of
lookup is limited: it is the one that could be used to walk through the register.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tefu_common.db import Database
from tefu_medical_priority.access_log.models import LookupQuota


async def take(database: Database, hospital_code: str, per_minute: int) -> int | None:
    """Count one lookup; None if within the limit, else the seconds until the next minute begins."""
    now = datetime.now(timezone.utc)
    window = now.replace(second=0, microsecond=0)
    insert = pg_insert if database.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(LookupQuota).values(hospital_code=hospital_code, window_start=window, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["hospital_code", "window_start"], set_={"count": LookupQuota.count + 1},
    ).returning(LookupQuota.count)
    async with database.engine.begin() as connection:
        count = (await connection.execute(statement)).scalar_one()
    if count <= per_minute:
        return None
    return max(1, 60 - now.second)


async def forget_old_windows(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(delete(LookupQuota).where(
            LookupQuota.window_start < datetime.now(timezone.utc) - timedelta(hours=1)))
