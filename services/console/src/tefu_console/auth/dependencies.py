"""What a page asks for: the signed-in person, a checked form, the services as that person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from tefu_console.auth.sessions import COOKIE, Person, SessionStore
from tefu_console.problems import NotAllowed
from tefu_console.services import Apis, apis_for
from tefu_console.web import check_csrf


def session_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


Sessions = Annotated[SessionStore, Depends(session_store)]


async def signed_in(request: Request, sessions: Sessions) -> Person:
    """The person of this browser's session; GET pages come back here after signing in."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
    return await sessions.person(request.cookies.get(COOKIE), back)


SignedIn = Annotated[Person, Depends(signed_in)]


async def checked_form(request: Request, person: SignedIn) -> FormData:
    """Every POST: the form, if it carries this session's CSRF token (the 403 page otherwise)."""
    return check_csrf(await request.form(), person.csrf_token)


CheckedForm = Annotated[FormData, Depends(checked_form)]


def services(request: Request, person: SignedIn) -> Apis:
    return apis_for(request.app.state.upstreams, person.access_token)


Services = Annotated[Apis, Depends(services)]


def require(person: Person, *scopes: str, message: str = "你没有权限查看这个页面。") -> None:
    """The console's own check, so a person is not shown a form the service will refuse anyway;
    the services still decide (their 403 is shown the same way)."""
    if not person.can(*scopes):
        raise NotAllowed(message)
