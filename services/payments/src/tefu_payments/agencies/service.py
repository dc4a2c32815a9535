"""Agency profiles: admins create and change them; every batch names one."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import Conflict, NotFound
from tefu_common.regions import region_contains
from tefu_payments.agencies.models import Agency
from tefu_payments.agencies.schemas import AgencyCreate, AgencyIn


def _apply(agency: Agency, body: AgencyIn) -> None:
    agency.name, agency.region_code = body.name, body.region_code
    agency.file_format, agency.encoding = body.file_format, body.encoding
    agency.columns = [c.model_dump(exclude_none=True) for c in body.columns]
    agency.header_row, agency.summary, agency.active = body.header_row, body.summary, body.active
    agency.updated_at = datetime.now(timezone.utc)


async def create_agency(session: AsyncSession, body: AgencyCreate) -> Agency:
    if await session.get(Agency, body.id) is not None:
        raise Conflict(f"agency {body.id} already exists; change it with PUT /v1/agencies/{body.id}")
    agency = Agency(id=body.id, created_at=datetime.now(timezone.utc))
    _apply(agency, body)
    session.add(agency)
    await session.flush()
    return agency


async def get_agency(session: AsyncSession, agency_id: str, caller: Principal | None = None) -> Agency:
    agency = await session.get(Agency, agency_id)
    if agency is None or (caller is not None and not visible(agency, caller)):
        raise NotFound(f"no agency {agency_id}")
    return agency


async def update_agency(session: AsyncSession, agency_id: str, body: AgencyIn) -> Agency:
    agency = await get_agency(session, agency_id)
    _apply(agency, body)
    await session.flush()
    return agency


async def list_agencies(session: AsyncSession, caller: Principal) -> list[Agency]:
    agencies = (await session.scalars(select(Agency).order_by(Agency.id))).all()
    return [a for a in agencies if visible(a, caller)]


def visible(agency: Agency, caller: Principal) -> bool:
    """Agencies of the caller's region, and those paying a wider region the caller is part of
    (an agency for the whole province serves every county's clerks)."""
    return caller.covers_region(agency.region_code) or region_contains(agency.region_code, caller.region)
