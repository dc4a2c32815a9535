"""The calling hospital as a desk lookup needs it, kept a short while so a lookup reads one row."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_common.auth import Principal
from tefu_common.errors import Forbidden
from tefu_common.i18n import Text
from tefu_common.scoping import covers
from tefu_medical_priority.hospitals.models import Hospital


@dataclass(frozen=True)
class DeskHospital:
    code: str
    active: bool
    designated: bool
    fee_waivers: tuple[str, ...]
    region_code: str


class HospitalDirectory:
    """A change to the directory reaches lookups within ``ttl`` seconds on every replica (at once
    on the replica that made it)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self._entries: dict[str, tuple[float, DeskHospital | None]] = {}
        self._reading: dict[str, asyncio.Future[DeskHospital | None]] = {}
        self._forgotten = 0  # moves on with every change made here

    async def get(self, code: str) -> DeskHospital | None:
        cached = self._entries.get(code)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        # One read per hospital at a time: at a thousand lookups a second, every desk request in
        # flight when the entry expires would otherwise read it too, and queue for the pool.
        reading = self._reading.get(code)
        if reading is None:
            reading = self._reading[code] = asyncio.ensure_future(self._read(code))
            reading.add_done_callback(lambda _: self._reading.pop(code, None))
        return await asyncio.shield(reading)

    async def _read(self, code: str) -> DeskHospital | None:
        forgotten = self._forgotten
        async with self.sessionmaker() as session:
            hospital = await session.get(Hospital, code)
        found = None if hospital is None else DeskHospital(hospital.code, hospital.active, hospital.designated,
                                                           tuple(hospital.fee_waivers), hospital.region_code)
        if forgotten == self._forgotten:  # not if a change was made while it read (it may predate it)
            self._entries[code] = (time.monotonic() + self.ttl, found)
        return found

    async def calling(self, caller: Principal) -> DeskHospital:
        """The hospital the caller's token names; 403 if it is not in the directory or inactive, or
        lies outside the token's region (a client of one region cannot act as another's hospital)."""
        code = caller.institution.id if caller.institution else ""
        hospital = await self.get(code)
        if hospital is None or not hospital.active or not covers(caller, hospital.region_code):
            raise Forbidden(Text(f"医院 {code} 不在医院目录中、已停用或不在令牌的辖区内；请管理员用 PUT /v1/hospitals/{code} "
                                 f"登记或启用",
                                 f"hospital {code} is not in the directory, is inactive or lies outside the token's "
                                 f"region; an administrator registers it with PUT /v1/hospitals/{code}"),
                            code="hospital-not-registered")
        return hospital

    def forget(self, code: str) -> None:
        self._forgotten += 1
        self._entries.pop(code, None)
        self._reading.pop(code, None)  # a read begun before the change serves only who waits for it

    def forget_all(self) -> None:
        self._forgotten += 1
        self._entries.clear()
        self._reading.clear()
