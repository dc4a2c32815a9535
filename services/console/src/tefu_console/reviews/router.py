"""核查任务 (/reviews): what banks' returns told the register, for the clerks who settle it.

The registry keeps the tasks and settles them itself when the clerk records the death or changes
the bank account (the links lead to those pages); the console lists them and dismisses one with
the clerk's note.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/reviews", include_in_schema=False)
KINDS = [("confirm_death", "核实身故"), ("bank_details", "核实银行账户")]
NOTICES = {"dismissed": "已驳回该核查任务；该成员此后的发放恢复正常。"}  # shown by base.html
STATUSES = [("open", "待处理"), ("confirmed", "已确认身故"), ("updated", "已更新账户"), ("dismissed", "已驳回")]


def _url(status: str, kind: str, cursor: str | None = None) -> str:
    query = {k: v for k, v in {"status": status, "kind": kind, "cursor": cursor or ""}.items() if v}
    return "/reviews" + (f"?{urlencode(query)}" if query else "")


@router.get("", response_class=HTMLResponse)
async def reviews_page(request: Request, person: SignedIn, apis: Services,
                       status: str = Query("open", pattern="^(open|confirmed|updated|dismissed)?$"),
                       kind: str = Query("", pattern="^(confirm_death|bank_details)?$"),
                       cursor: str | None = Query(None, max_length=500), notice: str = Query("", max_length=16)
                       ) -> Response:
    require(person, "families:read", message="核查任务需要查看家庭的权限。")
    page = await apis.registry.get("/v1/review-tasks", status=status or None, kind=kind or None, cursor=cursor,
                                   limit=request.app.state.settings.page_size)
    return render(request, "reviews/list.html", {
        "person": person, "current": "reviews", "title": "核查任务", "page": page, "status": status, "kind": kind,
        "kinds": KINDS, "statuses": STATUSES, "kind_names": dict(KINDS), "status_names": dict(STATUSES),
        "notice": NOTICES.get(notice), "errors": {},
        "next_url": _url(status, kind, page["next_cursor"]) if page.get("next_cursor") else None,
        "first_url": _url(status, kind) if cursor else None})


@router.post("/{task_id}/dismiss")
async def dismiss(request: Request, task_id: int, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    require(person, "families:write", message="处理核查任务需要经办员权限。")
    note = str(form.get("note", "")).strip()
    try:
        await apis.registry.send("POST", f"/v1/review-tasks/{task_id}/resolve", {"outcome": "dismissed",
                                                                                  "note": note or None})
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        page = await apis.registry.get("/v1/review-tasks", status="open", limit=request.app.state.settings.page_size)
        return render(request, "reviews/list.html", {
            "person": person, "current": "reviews", "title": "核查任务", "page": page, "status": "open", "kind": "",
            "kinds": KINDS, "statuses": STATUSES, "kind_names": dict(KINDS), "status_names": dict(STATUSES),
            "notice": None, "errors": {task_id: refused.message}, "next_url": None, "first_url": None},
            status_code=422)
    return RedirectResponse("/reviews?notice=dismissed", status_code=303)
