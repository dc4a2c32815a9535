"""How people read values: dates as 2026年12月1日 (China time), money as ¥1,234.00, codes as words."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from tefu_common.calendar import CHINA


def _parse(value: Any) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def date_zh(value: Any) -> str:
    """2026年12月1日; a moment is first taken to China's calendar day."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    if isinstance(parsed, datetime):
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(CHINA).date()
    return f"{parsed.year}年{parsed.month}月{parsed.day}日"


def datetime_zh(value: Any) -> str:
    """2026年12月1日 10:35, in China time."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return date_zh(value)
    moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(CHINA)
    return f"{date_zh(moment.date())} {moment:%H:%M}"


def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


LABELS: dict[str, str] = {
    # family and member
    "urban": "城镇", "rural": "农村", "mother": "母亲", "father": "父亲", "child": "子女", "household": "家庭",
    "male": "男", "female": "女",
    # events
    "child_died": "子女死亡", "disability_certified": "子女伤残鉴定", "disability_level_changed": "伤残等级变更",
    "child_recovered": "子女康复", "parent_died": "父母一方死亡", "later_child_born": "再生育子女",
    "later_child_adopted": "再收养子女", "divorced": "离婚", "remarried": "再婚", "hukou_moved": "户籍迁移",
    "low_income_began": "纳入低保", "low_income_ended": "退出低保", "extreme_poverty_began": "纳入特困",
    "extreme_poverty_ended": "退出特困", "correction": "更正",
    "child_disabled": "子女伤残",
    # history (一人一档)
    "members": "成员", "family": "家庭", "event": "事件",
    "family_registered": "登记家庭", "family_updated": "修改信息", "event_recorded": "记录事件",
    "liaison_assigned": "指派联系人", "liaison_ended": "联系人卸任", "contact_recorded": "记录走访",
    "status_changed": "状态变化",
    # imports
    "queued": "排队中", "running": "处理中", "finished": "已完成", "failed": "失败",
    "rejected": "已驳回", "duplicate": "重复",
    # batches and lines
    "draft": "草稿", "submitted": "待审批", "approved": "已批准", "exported": "已导出", "reconciled": "已对账",
    "cancelled": "已作废", "pending": "待发放", "paid": "已发放", "released": "已释放",
    "monthly": "按月", "quarterly": "按季", "yearly": "按年",
    # amounts
    "local": "地方标准", "national_minimum": "国家最低标准", "unknown": "金额未定",
    # cards
    "active": "有效", "suspended": "已暂停", "revoked": "已注销", "expired": "已过期",
    # liaisons and contacts
    "township": "乡镇联系人", "village": "村联系人", "home_visit": "入户走访", "phone_call": "电话联系",
    "festival_visit": "节日慰问", "online": "网上联系", "family_doctor": "家庭医生随访",
    "county_leader": "县级领导干部", "spring": "春节", "dragon_boat": "端午节", "mid_autumn": "中秋节",
    # liaison duties: what a duty is, and where a family stands with it
    "contact": "定期联系", "event_visit": "事件走访", "liaisons": "联系人配备",
    "overdue": "已逾期", "due": "即将到期", "outstanding": "待走访", "missing_liaison": "缺联系人", "met": "已完成",
    "missed": "未走访", "not_computable": "无法计算", "any": "固定联系人",
    "liaison.township": "乡镇联系人", "liaison.village": "村联系人", "liaison.county_leader": "县级领导干部联系人",
    "unit": "工作单位", "assigned_on": "任职日期", "ended_on": "卸任日期", "name": "姓名", "phone": "电话",
    "post": "岗位",
    # supervision: score-sheet items and returns due
    "scored": "已计算", "partly_scored": "部分计算", "inspector": "须检查组核查", "not_computed": "无法计算",
    "upcoming": "未到期", "produced": "已生成", "computed": "系统计算", "manual": "人工填报",
    # roles
    "admin": "管理员", "clerk": "经办员", "approver": "审批人", "auditor": "审计员", "hospital": "医院用户",
    "agency": "代理发放机构用户", "service": "服务",
}


def label(value: Any) -> str:
    """The Chinese word for a code the services answer with (the code itself when there is none)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return LABELS.get(str(value), str(value))


def change_zh(value: Any) -> str:
    """A value of the registry's history (一人一档) as a person reads it: an event as its kind and
    date, a list as its items in words, a group as its parts."""
    if value is None:
        return "（空）"
    if isinstance(value, dict):
        if "kind" in value:
            when = date_zh(value.get("occurred_on")) if value.get("occurred_on") else ""
            return "，".join(part for part in (label(value["kind"]), when) if part)
        return "；".join(f"{label(k)}：{change_zh(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "、".join(change_zh(v) for v in value)
    return label(value)


FIELDS: dict[str, str] = {
    "name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别", "phone": "联系电话",
    "death_date": "去世日期", "bank_account": "银行账户", "bank": "开户银行", "account_number": "银行账号",
    "holder": "账户户名", "in_resident_pension": "居民养老保险", "monthly_basic_pension": "每月基础养老金",
    "region_code": "区划代码", "hukou_type": "户口性质", "address": "住址", "honor_certificate": "光荣证",
    "number": "编号", "issued_on": "发证日期", "events": "事件", "occurred_on": "发生日期", "kind": "种类",
    "member": "父母一方", "category": "残疾类别", "level": "残疾等级", "certificate_no": "残疾人证号",
    "to_region": "迁入地", "corrects_event_id": "被更正的事件", "reason": "原因", "note": "意见",
    "period": "期别", "agency_id": "代理发放机构", "benefits": "发放项目", "username": "用户名",
    "display_name": "姓名", "role": "角色", "region": "辖区", "password": "密码", "file": "文件",
    "mother": "母亲", "father": "父亲", "child": "子女",
    "festival": "节日", "contacted_on": "联系日期", "contacted_by": "联系人姓名", "liaison_id": "联系人",
    "findings": "了解到的情况", "help_given": "帮扶内容", "return_id": "报表",
}


def field_label(field: str) -> str:
    """``body.mother.id_number`` → 母亲身份证号, for the summary above a form."""
    parts = [p for p in field.split(".")[1:] if not p.isdigit()] if "." in field else [field]
    return "".join(FIELDS.get(p, p) for p in parts)
