"""账户 pages over the issuer's /v1/accounts: /accounts, /accounts/new, /accounts/{id}."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn
from tefu_console.auth.sessions import Person
from tefu_console.forms import body_of, values_of
from tefu_console.problems import NotAllowed, ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/accounts", include_in_schema=False)
ROLES = [("clerk", "经办员"), ("approver", "审批人"), ("auditor", "审计员"), ("admin", "管理员"),
         ("hospital", "医院用户"), ("agency", "代理发放机构用户")]
# What each form on an account's page does at the issuer, and what the page then says.
ACTIONS: dict[str, tuple[str, str, str]] = {
    "update": ("PATCH", "", "账户已修改。"),
    "password": ("POST", "/password", "新密码已设置，请当面或电话告知本人，并提醒其登录后修改。"),
    "unlock": ("POST", "/unlock", "账户已解锁。"),
    "totp-reset": ("POST", "/totp/reset", "动态验证码已重置，本人下次登录时重新绑定。"),
}


def _admin(person: Person) -> None:
    if not person.manages_accounts:
        raise NotAllowed("账户管理需要管理员权限。")


@router.get("", response_class=HTMLResponse)
async def accounts(request: Request, person: SignedIn, apis: Services, q: str = Query("", max_length=64),
                   cursor: str | None = Query(None, max_length=500)) -> Response:
    _admin(person)
    page = await apis.registry.get("/v1/accounts", q=q, cursor=cursor, limit=50)
    query = {"q": q} if q else {}
    return render(request, "accounts/list.html", {
        "person": person, "current": "accounts", "title": "账户", "page": page, "q": q,
        "next_url": "/accounts?" + urlencode({**query, "cursor": page["next_cursor"]}) if page.get("next_cursor") else None,
        "first_url": "/accounts" + (f"?{urlencode(query)}" if query else "") if cursor else None})


def _new_form(request: Request, person: Person, values: dict[str, Any], errors: dict[str, list[str]],
              error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "accounts/new.html", {"person": person, "current": "accounts", "title": "新建账户",
                                                 "roles": ROLES, "values": values, "errors": errors, "error": error},
                  status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
async def new_account(request: Request, person: SignedIn) -> Response:
    _admin(person)
    return _new_form(request, person, {"body.region": person.region, "body.role": "clerk"}, {})


@router.post("/new")
async def create_account(request: Request, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    _admin(person)
    try:
        account = await apis.registry.send("POST", "/v1/accounts", body_of(form))
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        values = {k: v for k, v in values_of(form).items() if k != "body.password"}  # never sent back
        return _new_form(request, person, values, refused.field_errors, refused.message, 422)
    return RedirectResponse(f"/accounts/{account['id']}?notice=created", status_code=303)


async def _account(request: Request, account_id: int, person: Person, apis: Services, notice: str | None = None,
                   error: str | None = None, errors: dict[str, list[str]] | None = None,
                   values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    account = await apis.registry.get(f"/v1/accounts/{account_id}")
    shown = {"body.display_name": account["display_name"], "body.role": account["role"],
             "body.region": account["region"], **(values or {})}
    return render(request, "accounts/detail.html", {
        "person": person, "current": "accounts", "title": f"账户 {account['username']}", "account": account,
        "roles": ROLES, "values": shown, "errors": errors or {}, "notice": notice, "error": error},
        status_code=status_code)


@router.get("/{account_id}", response_class=HTMLResponse)
async def account(request: Request, account_id: int, person: SignedIn, apis: Services,
                  notice: str | None = Query(None, max_length=16)) -> Response:
    _admin(person)
    done = {"created": "账户已建立。", **{k: v[2] for k, v in ACTIONS.items()}}
    return await _account(request, account_id, person, apis, notice=done.get(notice or ""))


@router.post("/{account_id}/{action}")
async def act(request: Request, account_id: int, action: str, person: SignedIn, apis: Services,
              form: CheckedForm) -> Response:
    _admin(person)
    if action not in ACTIONS:
        return await _account(request, account_id, person, apis, error="不支持的操作。", status_code=404)
    method, suffix, _ = ACTIONS[action]
    body = body_of(form, booleans=frozenset({"body.disabled"})) if action == "update" else body_of(form)
    if action == "update":
        body.setdefault("disabled", False)  # an unticked box is a decision too: the account is enabled
    try:
        await apis.registry.send(method, f"/v1/accounts/{account_id}{suffix}", body)
    except ServiceRefused as refused:
        if refused.status == 404:
            raise
        values = {k: v for k, v in values_of(form).items() if k != "body.password"}
        return await _account(request, account_id, person, apis, error=refused.message,
                              errors=refused.field_errors, values=values, status_code=refused.status)
    return RedirectResponse(f"/accounts/{account_id}?notice={action}", status_code=303)
