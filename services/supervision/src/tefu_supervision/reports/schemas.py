"""What the supervision routes answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

HEADLINE_EXAMPLE = {"special_families": 412, "special_assistance_rate": "98.50", "condolence_rate": "100.00",
                    "card_coverage": "96.20", "without_card": 12, "green_channel_visits": 388,
                    "festival_visits_missed": 7, "families_without_contact": 3, "computed_deducted": "17"}


class ReportSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "report_id": 3, "region": "420000", "period": "2026", "produced_at": "2026-12-02T03:10:00+00:00",
        "produced_by": "auditor-hubei", "content_sha256": "9c1f…", "headline": HEADLINE_EXAMPLE}]})

    report_id: int
    region: str
    period: str
    produced_at: str
    produced_by: str
    content_sha256: str
    headline: dict[str, Any] = Field(description="The report's main numbers (null where a source did not answer).")


class Change(BaseModel):
    figure: str
    label: str
    before: Any
    now: Any
    change: str | None = Field(description="now − before, where both are numbers.")


class Comparison(BaseModel):
    report_id: int = Field(description="The earlier report of the same region and period.")
    produced_at: str
    changes: list[Change]


class SupervisionReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [{
        "report_id": 3, "region": "420000", "region_name": "湖北省", "period": "2026", "period_name": "2026年",
        "from": "2026-01-01", "to": "2026-12-31", "produced_at": "2026-12-02T03:10:00+00:00",
        "produced_by": "auditor-hubei", "content_sha256": "9c1f…", "intact": True, "headline": HEADLINE_EXAMPLE,
        "figures": {"months": ["2026-01", "…", "2026-12"], "disbursement": {
            "available": True, "benefits": [{"benefit": "special_assistance", "benefit_name": "计划生育家庭特别扶助金",
                                             "due": 4800, "paid": 4728, "rate_percent": "98.50"}],
            "sources": [{"service": "payments", "service_name": "资金发放服务",
                         "endpoint": "GET /v1/reports/disbursement-rate", "query": {"region": "420000", "period": "2026"},
                         "fetched_at": "2026-12-02T03:09:58+00:00"}]},
            "liaison_compliance": {"available": False, "code": "upstream-unavailable",
                                   "reason": "登记服务暂时无法访问（timeout），请稍后重试"}},
        "scoresheet": {"title": "计划生育特殊家庭扶助工作检查表", "document": "鄂卫生计生通〔2016〕89号 附件2", "total": "100",
                       "computed_of": "52.5", "computed_deducted": "17", "open_points": "47.5",
                       "highest_possible": "83", "items": [{
                           "id": "priority_certificate", "section": "医疗保障", "points": "10", "status": "partly_scored",
                           "computed_points": "10", "deducted": "10", "basis": "符合条件而未持有效优诊证（就医优先卡）12 人（每例扣 2 分）",
                           "inspector_check": "持证就医但未给予优诊的：到公立医疗机构查看登记并抽访。",
                           "check": "办理《湖北省计划生育家庭医疗优诊证》做好医疗服务工作",
                           "deduction_rule": "未将医疗优诊证发放到对象手中的，1例扣2分；…"}]},
        "compared_with": None}]})

    report_id: int
    region: str
    region_name: str | None
    period: str
    period_name: str = Field(description="The period as people read it: 2026年, 2026年上半年, 2026年第二季度, 2026年6月.")
    from_: str = Field(alias="from")
    to: str
    produced_at: str
    produced_by: str
    content_sha256: str = Field(description="SHA-256 of the region, period, figures and score sheet as kept.")
    intact: bool = Field(description="The kept content still hashes to content_sha256 (false: altered since).")
    headline: dict[str, Any]
    figures: dict[str, Any] = Field(description=(
        "By name: `families`, `disbursement`, `cards`, `green_channel`, `entitled`, `liaison_compliance`; each "
        "with `available`, its numbers and `sources` (service, endpoint, query, fetched_at), or `available: false` "
        "with `code` and `reason` when its service did not answer. `months`: the months of the period covered "
        "(those begun)."))
    scoresheet: dict[str, Any] | None = Field(description=(
        "The score sheet of the jurisdiction (Hubei 附件2 within 420000), item by item: `status` scored | "
        "partly_scored | inspector | not_computed, `deducted` and its `basis`; `computed_deducted` and "
        "`highest_possible` (100 − computed deductions: the inspector's own checks can only lower it). Null "
        "where no sheet applies."))
    compared_with: Comparison | None = Field(description="The previous report of the same region and period, "
                                                         "figure by figure; null for the first.")
