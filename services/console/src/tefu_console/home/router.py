"""工作台 (home)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tefu_common.db import DbSession
from tefu_console.auth.dependencies import Services, SignedIn
from tefu_console.home.dashboard import dashboard
from tefu_console.web import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, person: SignedIn, apis: Services, db: DbSession) -> HTMLResponse:
    figures = await dashboard(apis, db, person)
    return render(request, "home.html", {"person": person, "current": "home", "title": "工作台", **figures})
