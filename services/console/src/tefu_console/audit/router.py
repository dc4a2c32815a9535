"""审计 page: /audit, one service's access log at a time, with that service's filters."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tefu_console.auth.dependencies import Services, SignedIn, require
from tefu_console.web import render

router = APIRouter(prefix="/audit", include_in_schema=False)
# Each log: the service's name in the console, who holds it, and the filter only it has.
LOGS = {
    "registry": ("登记服务（家庭信息的查阅）", "registry", "family_id", "家庭编号"),
    "payments": ("发放服务（银行文件、发放明细、个人发放记录）", "payments", "member_id", "成员编号"),
    "cards": ("就医优先服务（优待证的查验与查阅）", "cards", "card_no", "卡号"),
}
SECURITY_LOG = ("登录与账户安全日志", "registry", "username", "用户名")


@router.get("", response_class=HTMLResponse)
async def audit(request: Request, person: SignedIn, apis: Services, log: str = Query("registry", max_length=16),
                subject: str = Query("", max_length=128), since: str = Query("", max_length=32),
                until: str = Query("", max_length=32), key: str = Query("", max_length=64),
                cursor: str | None = Query(None, max_length=500)) -> Response:
    require(person, "audit:read", message="查阅访问日志需要审计员或管理员权限。")
    log = log if log in LOGS or log == "security" else "registry"
    _, service, key_name, _ = SECURITY_LOG if log == "security" else LOGS[log]
    path = "/v1/security-log" if log == "security" else "/v1/access-log"
    page = await getattr(apis, service).get(path, subject=subject, since=since, until=until,
                                            cursor=cursor, limit=50, **{key_name: key})
    query = {k: v for k, v in {"log": log, "subject": subject, "since": since, "until": until, "key": key}.items() if v}
    return render(request, "audit/index.html", {
        "person": person, "current": "audit", "title": "审计", "logs": {**LOGS, "security": SECURITY_LOG}, "log": log, "page": page,
        "filters": {"subject": subject, "since": since, "until": until, "key": key},
        "next_url": "/audit?" + urlencode({**query, "cursor": page["next_cursor"]}) if page.get("next_cursor") else None,
        "first_url": "/audit?" + urlencode(query) if cursor else None})
