"""``/v1/agencies``: agent banks and the file each one takes (admins manage them)."""

from __future__ import annotations

from fastapi import APIRouter

from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams, page_of
from tefu_payments.agencies import service
from tefu_payments.agencies.models import Agency
from tefu_payments.agencies.repository import AgencyManagers, Agencies
from tefu_payments.agencies.schemas import AgencyCreate, AgencyIn, AgencyOut

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut.model_validate({column: getattr(agency, column) for column in AgencyOut.model_fields})


@router.post("", response_model=AgencyOut, status_code=201, summary="登记代理发放机构及其文件格式",
             responses=problems(**{"409": "已有这个编号的代理机构（An agency with this id exists）"}))
async def create_agency(body: AgencyCreate, agencies: AgencyManagers) -> AgencyOut:
    """Admins, for a region of their own (else 422 `region-outside-scope`). The profile sets the
    disbursement file: CSV (UTF-8 or GBK), XLSX or fixed-width text; its columns with their Chinese
    headings, in order; a heading row; and a summary line (count and total) before or after the
    lines. The default columns are 流水号, 姓名, 身份证号码, 银行账号, 开户银行, 金额, 补助项目, 所属期间.
    409 `agency-exists` if the id is taken."""
    return _out(await service.create_agency(agencies, body))


@router.get("", response_model=Page[AgencyOut], summary="本辖区可用的代理发放机构")
async def list_agencies(agencies: Agencies, page: PageParams) -> Page[AgencyOut]:
    """Any caller with `batches:read`: the agencies paying in the caller's region or in a wider
    region it belongs to (a provincial bank serves every county), by id, in pages."""
    shown, next_cursor = page_of(await service.list_agencies(agencies), key=lambda a: (a.id,), page=page)
    return Page[AgencyOut](items=[_out(a) for a in shown], next_cursor=next_cursor)


@router.get("/{agency_id}", response_model=AgencyOut, summary="查看一个代理发放机构", responses=problems(404))
async def get_agency(agency_id: str, agencies: Agencies) -> AgencyOut:
    """Any caller with `batches:read` who may see the agency (as in the list); 404
    `agency-not-found` otherwise."""
    return _out(await service.get_agency(agencies, agency_id))


@router.put("/{agency_id}", response_model=AgencyOut, summary="修改代理发放机构的文件格式", responses=problems(404))
async def update_agency(agency_id: str, body: AgencyIn, agencies: AgencyManagers) -> AgencyOut:
    """Admins of the agency's region. Files already rendered keep their bytes: a batch's file is
    rendered once, at its first pull, and later pulls use the layout fixed then."""
    return _out(await service.update_agency(agencies, agency_id, body))
