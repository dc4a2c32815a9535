"""``/v1/agencies``: agent banks and the file each one takes (admins manage them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_payments.agencies import service
from tefu_payments.agencies.models import Agency
from tefu_payments.agencies.schemas import AgencyCreate, AgencyIn, AgencyOut

Manager = Annotated[Principal, Depends(require(Scope.agencies_manage, roles=[Role.admin]))]
Reader = Annotated[Principal, Depends(require(Scope.batches_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/agencies", tags=["agencies"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut.model_validate({column: getattr(agency, column) for column in AgencyOut.model_fields})


@router.post("", response_model=AgencyOut, status_code=201, summary="Register an agent bank and its file format",
             responses={409: PROBLEM})
async def create_agency(body: AgencyCreate, session: DbSession, caller: Manager) -> AgencyOut:
    """The profile sets the disbursement file: CSV (UTF-8 or GBK), XLSX or fixed-width text; its
    columns with their Chinese headings, in order; a heading row; and a summary line (count and
    total) before or after the lines. The default columns are 流水号, 姓名, 身份证号码, 银行账号,
    开户银行, 金额, 补助项目, 所属期间."""
    return _out(await service.create_agency(session, body))


@router.get("", response_model=list[AgencyOut], summary="Agent banks of the caller's region")
async def list_agencies(session: DbSession, caller: Reader) -> list[AgencyOut]:
    return [_out(a) for a in await service.list_agencies(session, caller)]


@router.get("/{agency_id}", response_model=AgencyOut, summary="One agent bank", responses={404: PROBLEM})
async def get_agency(agency_id: str, session: DbSession, caller: Reader) -> AgencyOut:
    return _out(await service.get_agency(session, agency_id, caller))


@router.put("/{agency_id}", response_model=AgencyOut, summary="Change an agent bank's profile",
            responses={404: PROBLEM})
async def update_agency(agency_id: str, body: AgencyIn, session: DbSession, caller: Manager) -> AgencyOut:
    """Files already rendered keep their bytes: a batch's file is rendered once, at its first pull."""
    return _out(await service.update_agency(session, agency_id, body))
