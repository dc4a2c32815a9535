"""家庭 pages: /families, /families/new, /families/{id}, /families/{id}/events/new, /families/{id}/contacts/new."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tefu_common.calendar import today
from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.duties.contacts import FESTIVALS, KINDS as CONTACT_KINDS, contact_body, contact_form_parts
from tefu_console.families.events import CATEGORIES, KINDS, event_body, placed
from tefu_console.families.page import family_page
from tefu_console.families.search import Search
from tefu_console.forms import body_of, values_of
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/families", include_in_schema=False)
REGISTER_BOOLEANS = frozenset({"body.mother.in_resident_pension", "body.father.in_resident_pension"})


@router.get("", response_class=HTMLResponse)
async def families(request: Request, person: SignedIn, apis: Services,
                   q: str = Query("", max_length=32), region: str = Query("", max_length=12),
                   status: str = Query("", max_length=16), cursor: str | None = Query(None, max_length=500)) -> Response:
    search = Search(q, region, status)
    params, note = search.params()
    page = None
    if note is None:
        page = await apis.registry.get("/v1/families", **params, cursor=cursor,
                                       limit=request.app.state.settings.page_size)
    return render(request, "families/list.html", {
        "person": person, "current": "families", "title": "家庭", "search": search, "note": note, "page": page,
        "next_url": search.url(page["next_cursor"]) if page and page.get("next_cursor") else None,
        "first_url": search.url() if cursor else None})


def _register_form(request: Request, person: SignedIn, values: dict[str, str], errors: dict[str, list[str]],
                   error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "families/new.html", {"person": person, "current": "families", "title": "登记家庭",
                                                 "values": values, "errors": errors, "error": error},
                  status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
async def new_family(request: Request, person: SignedIn) -> Response:
    require(person, "families:write", message="登记家庭需要经办员权限。")
    return _register_form(request, person, {"body.region_code": person.region, "body.hukou_type": "rural"}, {})


@router.post("/new")
async def register_family(request: Request, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    body = body_of(form, booleans=REGISTER_BOOLEANS)
    try:
        family = await apis.registry.send("POST", "/v1/families", body)
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        return _register_form(request, person, values_of(form), refused.field_errors, refused.message, 422)
    return RedirectResponse(f"/families/{family['id']}?notice=registered", status_code=303)


@router.get("/{family_id}", response_class=HTMLResponse)
async def family(request: Request, family_id: int, person: SignedIn, apis: Services,
                 notice: str | None = Query(None, max_length=32)) -> Response:
    page = await family_page(apis, family_id)
    return render(request, "families/detail.html", {
        "person": person, "current": "families", "title": f"家庭 {family_id}", **page,
        "notice": {"registered": "家庭已登记。", "event": "事件已记录，状态已按事件重新认定。",
                   "contact": "联系已记录。"}.get(notice or "")})


def _event_form(request: Request, person: SignedIn, family_id: int, values: dict[str, str],
                errors: dict[str, list[str]], error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "families/event.html", {
        "person": person, "current": "families", "title": "记录事件", "family_id": family_id, "kinds": KINDS,
        "categories": CATEGORIES, "values": values, "errors": errors, "error": error}, status_code=status_code)


@router.get("/{family_id}/events/new", response_class=HTMLResponse)
async def new_event(request: Request, family_id: int, person: SignedIn, kind: str = Query("", max_length=32)) -> Response:
    require(person, "families:write", message="记录事件需要经办员权限。")
    return _event_form(request, person, family_id, {"body.kind": kind}, {})


@router.post("/{family_id}/events/new")
async def record_event(request: Request, family_id: int, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    try:
        await apis.registry.send("POST", f"/v1/families/{family_id}/events", event_body(form))
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        errors = placed(refused.field_errors, str(form.get("body.kind") or ""))
        return _event_form(request, person, family_id, values_of(form), errors, refused.message, 422)
    return RedirectResponse(f"/families/{family_id}?notice=event", status_code=303)


async def _contact_form(request: Request, person: SignedIn, apis: Services, family_id: int, values: dict[str, str],
                        errors: dict[str, list[str]], error: str | None = None, status_code: int = 200) -> Response:
    found = await contact_form_parts(apis, family_id)
    return render(request, "families/contact.html", {
        "person": person, "current": "families", "title": "记录联系", "family_id": family_id, "kinds": CONTACT_KINDS,
        "festivals": FESTIVALS, "values": values, "errors": errors, "error": error, **found}, status_code=status_code)


@router.get("/{family_id}/contacts/new", response_class=HTMLResponse)
async def new_contact(request: Request, family_id: int, person: SignedIn, apis: Services,
                      kind: str = Query("", max_length=32)) -> Response:
    require(person, "families:write", message="记录联系需要经办员权限。")
    return await _contact_form(request, person, apis, family_id,
                               {"body.kind": kind, "body.contacted_on": today().isoformat()}, {})


@router.post("/{family_id}/contacts/new")
async def record_contact(request: Request, family_id: int, person: SignedIn, apis: Services,
                         form: CheckedForm) -> Response:
    liaisons = (await contact_form_parts(apis, family_id))["liaisons"]
    try:
        await apis.registry.send("POST", f"/v1/families/{family_id}/contacts", contact_body(form, liaisons))
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        return await _contact_form(request, person, apis, family_id, values_of(form), refused.field_errors,
                                   refused.message, 422)
    return RedirectResponse(f"/families/{family_id}?notice=contact", status_code=303)
