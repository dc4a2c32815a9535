"""Agency profiles: admins create and change them; every batch names one."""

from __future__ import annotations

from datetime import datetime, timezone

from tefu_common.auth import Principal
from tefu_common.errors import Conflict, NotFound
from tefu_common.i18n import Text
from tefu_common.scoping import covers, require_within
from tefu_payments.agencies.models import Agency
from tefu_payments.agencies.repository import AgencyRepository
from tefu_payments.agencies.schemas import AgencyCreate, AgencyIn


def _apply(agency: Agency, body: AgencyIn) -> None:
    agency.name, agency.region_code = body.name, body.region_code
    agency.file_format, agency.encoding = body.file_format, body.encoding
    agency.columns = [c.model_dump(exclude_none=True) for c in body.columns]
    agency.header_row, agency.summary, agency.active = body.header_row, body.summary, body.active
    agency.iso20022 = body.iso20022.model_dump(exclude_none=True) if body.iso20022 is not None else None
    agency.updated_at = datetime.now(timezone.utc)


def _not_found(agency_id: str) -> NotFound:
    return NotFound(Text(f"没有代理机构 {agency_id}（或不在你的辖区）", f"no agency {agency_id} (or not in your region)"),
                    code="agency-not-found")


async def create_agency(agencies: AgencyRepository, body: AgencyCreate) -> Agency:
    require_within(agencies.caller, body.region_code, field="region_code")
    if await agencies.get(body.id) is not None:
        raise Conflict(Text(f"代理机构 {body.id} 已存在；修改请用 PUT /v1/agencies/{body.id}",
                            f"agency {body.id} already exists; change it with PUT /v1/agencies/{body.id}"),
                       code="agency-exists")
    agency = Agency(id=body.id, created_at=datetime.now(timezone.utc))
    _apply(agency, body)
    return await agencies.add(agency)


async def get_agency(agencies: AgencyRepository, agency_id: str) -> Agency:
    agency = await agencies.get(agency_id)
    if agency is None or not visible(agency, agencies.caller):
        raise _not_found(agency_id)
    return agency


async def update_agency(agencies: AgencyRepository, agency_id: str, body: AgencyIn) -> Agency:
    agency = await agencies.get(agency_id)
    if agency is None or not covers(agencies.caller, agency.region_code):
        raise _not_found(agency_id)
    require_within(agencies.caller, body.region_code, field="region_code")
    _apply(agency, body)
    await agencies.session.flush()
    return agency


async def list_agencies(agencies: AgencyRepository) -> list[Agency]:
    # Agent banks are a few dozen at most: read them all, keep those the caller may see.
    return [a for a in await agencies.every() if visible(a, agencies.caller)]


def visible(agency: Agency, caller: Principal) -> bool:
    """Agencies of the caller's region, and those paying a wider region the caller is part of
    (an agency for the whole province serves every county's clerks)."""
    return covers(caller, agency.region_code) or covers(agency.region_code, caller.region)
