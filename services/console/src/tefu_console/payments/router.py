"""发放 pages: /payments (batches, prepare), /payments/batches/{id} (detail and decisions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.forms import body_of, values_of
from tefu_console.payments.batches import ACTIONS, SKIPPED, batch_page, prepare_form
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/payments", include_in_schema=False)
STATUSES = ["draft", "submitted", "approved", "exported", "reconciled", "rejected", "cancelled"]


async def _payments_page(request: Request, person: SignedIn, apis: Services, status: str, cursor: str | None,
                         values: dict[str, Any], errors: dict[str, list[str]] | None = None,
                         error: str | None = None, status_code: int = 200) -> Response:
    require(person, "batches:read")
    page = await apis.payments.get("/v1/batches", status=status or None, cursor=cursor, limit=50)
    form = await prepare_form(apis, person) if person.can("batches:prepare") else None
    base = "/payments" + (f"?status={status}" if status else "")
    return render(request, "payments/list.html", {
        "person": person, "current": "payments", "title": "发放", "page": page, "status": status, "statuses": STATUSES,
        "form": form, "values": values, "errors": errors or {}, "error": error,
        "next_url": f"{base}{'&' if status else '?'}cursor={page['next_cursor']}" if page.get("next_cursor") else None,
        "first_url": base if cursor else None}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def payments(request: Request, person: SignedIn, apis: Services, status: str = Query("", max_length=16),
                   cursor: str | None = Query(None, max_length=500)) -> Response:
    return await _payments_page(request, person, apis, status, cursor, {"body.region_code": person.region})


@router.post("/batches")
async def prepare(request: Request, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    body = body_of(form, lists=frozenset({"body.benefits"}))
    key = form.get("idempotency_key")
    headers = {"Idempotency-Key": key} if isinstance(key, str) and key else {}
    try:
        batch = await apis.payments.send("POST", "/v1/batches", body, headers=headers)
    except ServiceRefused as refused:
        if refused.status == 403:
            raise
        values = {**values_of(form), "benefits": form.getlist("body.benefits")}
        return await _payments_page(request, person, apis, "", None, values, refused.field_errors, refused.message, 422)
    # What the build left out is kept with the batch: its page shows it whenever it is opened.
    return RedirectResponse(f"/payments/batches/{batch['id']}?notice=prepared", status_code=303)


def _skipped_url(batch_id: int, reason: str | None, cursor: str | None = None) -> str:
    query = urlencode({k: v for k, v in {"reason": reason, "skipped_cursor": cursor}.items() if v})
    return f"/payments/batches/{batch_id}{'?' + query if query else ''}#h-skipped-items"


async def _batch(request: Request, batch_id: int, person: SignedIn, apis: Services, cursor: str | None = None,
                 notice: str | None = None, error: str | None = None, errors: dict[str, list[str]] | None = None,
                 status_code: int = 200, skipped_cursor: str | None = None, reason: str | None = None) -> Response:
    page = await batch_page(apis, batch_id, cursor, skipped_cursor, reason)
    items = page["skipped_items"]
    return render(request, "payments/batch.html", {
        "person": person, "current": "payments", "title": f"批次 {batch_id}", **page, "notice": notice,
        "error": error, "errors": errors or {}, "actions": ACTIONS,
        "next_url": f"/payments/batches/{batch_id}?cursor={page['lines'].value['next_cursor']}"
        if page["lines"].ok and page["lines"].value.get("next_cursor") else None,
        "first_url": f"/payments/batches/{batch_id}" if cursor else None,
        "reason_urls": {k: _skipped_url(batch_id, k) for k in ("", *SKIPPED)},
        "skipped_next_url": _skipped_url(batch_id, page["reason"], items.value["next_cursor"])
        if items.ok and items.value.get("next_cursor") else None,
        "skipped_first_url": _skipped_url(batch_id, page["reason"]) if skipped_cursor else None},
        status_code=status_code)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch(request: Request, batch_id: int, person: SignedIn, apis: Services,
                cursor: str | None = Query(None, max_length=500), notice: str | None = Query(None, max_length=16),
                skipped_cursor: str | None = Query(None, max_length=500),
                reason: str | None = Query(None, max_length=24)) -> Response:
    done = {"prepared": "批次已生成（草稿）。请核对后提交审批。", **{k: v[1] for k, v in ACTIONS.items()}}
    return await _batch(request, batch_id, person, apis, cursor, done.get(notice or ""),
                        skipped_cursor=skipped_cursor, reason=reason)


@router.post("/batches/{batch_id}/{action}")
async def decide(request: Request, batch_id: int, action: str, person: SignedIn, apis: Services,
                 form: CheckedForm) -> Response:
    if action not in ACTIONS:
        return await _batch(request, batch_id, person, apis, error="不支持的操作。", status_code=404)
    try:
        await apis.payments.send("POST", f"/v1/batches/{batch_id}/{action}", body_of(form))
    except ServiceRefused as refused:
        # The service's own reason, in place: the preparer who tries to approve reads why not.
        errors = {k: v for k, v in refused.field_errors.items()}
        return await _batch(request, batch_id, person, apis, error=refused.detail, errors=errors,
                            status_code=refused.status)
    return RedirectResponse(f"/payments/batches/{batch_id}?notice={action}", status_code=303)
