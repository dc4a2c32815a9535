"""What the statistics-return routes take and answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_SOURCE = {"document": "佛山市计划生育特殊家庭精准扶助实施方案（征求意见稿）", "clause": "四（四）"}
_NOTE = "征求意见稿；方案五“自2020年1月1日起施行，有效期5年”，届满后的修订文本未收录，报表要求按原方案列出。"


class ReturnSource(BaseModel):
    document: str
    clause: str


class DueItem(BaseModel):
    return_id: str = Field(description="The return (`foshan-annex5`, `foshan-annex6`).")
    name: str
    annex: str = Field(description="The annex of the document that names the table (附件6).")
    period: str = Field(description="The half-year the return covers: 2026-H1 (January–June) or 2026-H2.")
    period_label: str = Field(description="2026年上半年 / 2026年下半年.")
    due_on: str = Field(description="The day the document asks the return for.")
    days_left: int = Field(description="Days from `on` to `due_on` (negative: past).")
    status: Literal["due", "upcoming", "overdue", "produced"] = Field(description=(
        "`produced`: a return was produced for this region and half-year (`produced_id`, the latest); "
        "`overdue`: past its due day and never produced; `due`: due within 30 days; `upcoming`: later."))
    produced_id: int | None
    source: ReturnSource
    note: str | None = Field(description="What a reader should know of the document (a draft, its term).")


class DueList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region": "440604", "region_name": "广东省佛山市禅城区", "on": "2026-12-01", "items": [
            {"return_id": "foshan-annex6", "name": "佛山市计划生育特殊家庭享受十项服务统计表", "annex": "附件6",
             "period": "2026-H2", "period_label": "2026年下半年", "due_on": "2026-12-25", "days_left": 24,
             "status": "due", "produced_id": None, "source": _SOURCE, "note": _NOTE}],
        "next_cursor": None}]})

    region: str
    region_name: str | None
    on: str = Field(description="The day the list is for (default: today, China time).")
    items: list[DueItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"return_id": "foshan-annex6", "region": "440604", "period": "2026-H2"}]})

    return_id: str = Field(description="The return to produce (`GET /v1/returns/due` lists those of a region).")
    region: str = Field(description="GB/T 2260 code of the district (or the city) the return is for.")
    period: str = Field(description="The half-year: 2026-H1 or 2026-H2.")


_ROW = {"id": "green_channel", "clause": "三（三）", "name": "提供绿色就医服务", "measure": "在定点医院“绿色通道”享受优先便利就医",
        "unit": "人次", "fill": "computed", "computation": "green_channel_visits", "value": 37, "available": True,
        "basis": "定点医院登记的优先就诊 37 人次，涉及 3 家医院", "note": None,
        "sources": [{"service": "medical-priority", "service_name": "就医优先服务", "endpoint": "GET /v1/reports/visits",
                     "query": {"region": "440604", "month": "2026-07..2026-12"},
                     "fetched_at": "2026-12-02T03:10:00+00:00"}]}
_MANUAL = {"id": "family_doctor", "clause": "三（一）", "name": "提供家庭医生服务", "measure": "落实1名签约责任医生的计划生育特殊家庭",
           "unit": "户", "fill": "manual", "computation": None, "value": None, "available": None, "basis": None,
           "note": "由区卫生健康局填报", "sources": []}
_SUMMARY = {"id": 7, "return_id": "foshan-annex6", "name": "佛山市计划生育特殊家庭享受十项服务统计表", "annex": "附件6",
            "region": "440604", "region_name": "广东省佛山市禅城区", "period": "2026-H2", "period_label": "2026年下半年",
            "due_on": "2026-12-25", "produced_at": "2026-12-02T03:10:00+00:00", "produced_by": "inspector-foshan",
            "content_sha256": "5b0e…"}


class ReturnRow(BaseModel):
    id: str
    clause: str | None
    name: str | None
    measure: str = Field(description="What is counted.")
    unit: str = Field(description="户, 人, 人次, 场次, 份 or 元.")
    fill: Literal["computed", "manual"] = Field(description="`computed` by Tefu from a figure; `manual`: the district "
                                                            "fills it in (no service of Tefu holds the data).")
    computation: str | None
    value: int | str | None = Field(description="Counts as integers, amounts (元) as decimal strings; null for a "
                                                "manual row and for a computed row whose source did not answer.")
    available: bool | None = Field(description="Computed rows: whether the figure's service answered.")
    basis: str | None = Field(description="The numbers the value was computed from, in Chinese.")
    note: str | None = Field(description="由区卫生健康局填报 for a manual row; the reason for a missing figure.")
    sources: list[dict[str, Any]] = Field(description="Where the figure came from: service, endpoint, query, fetched_at.")


class ReturnSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: int = Field(description="The produced return (`GET /v1/returns/{id}`).")
    return_id: str
    name: str
    annex: str
    region: str
    region_name: str | None
    period: str
    period_label: str
    due_on: str
    produced_at: str
    produced_by: str
    content_sha256: str


class ReturnOut(ReturnSummary):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [{
        **_SUMMARY, "from": "2026-07-01", "to": "2026-12-31", "months": ["2026-07", "…", "2026-12"], "intact": True,
        "submitted_by": "各区卫生健康局", "submitted_to": "市卫生健康局",
        "source": {**_SOURCE, "quote": "各区卫生健康局和市妇幼保健院要及时汇总服务情况，在每年的6月25日、12月25日前将……报市卫生健康局。"},
        "document_status": "draft", "note": _NOTE,
        "header": [{**_ROW, "id": "special_families", "clause": None, "name": None, "measure": "辖区计划生育特殊家庭",
                    "unit": "户", "computation": "special_families", "value": 41, "basis": "登记在册的计划生育特殊家庭 41 户"}],
        "rows": [_MANUAL, _ROW]}]})

    from_: str = Field(alias="from")
    to: str
    months: list[str] = Field(description="The months of the half-year begun when the return was produced.")
    intact: bool = Field(description="The kept content still hashes to content_sha256 (false: altered since).")
    submitted_by: str
    submitted_to: str
    source: dict[str, str] = Field(description="document, clause and quote of the text that asks for the return.")
    document_status: Literal["in_force", "draft"]
    note: str | None
    header: list[ReturnRow] = Field(description="Figures of the region shown above the table (special families).")
    rows: list[ReturnRow] = Field(description="The table, row by row, in the order of the document.")
