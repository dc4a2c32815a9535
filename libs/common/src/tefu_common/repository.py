"""Repositories: the only way to region-owned rows and to personal data.

A repository is made per request for one caller. Every query it builds is limited to the caller's
region (:meth:`Repository.scoped`), and every method that returns personal data records the read
in the service's access log before returning (:meth:`Repository.log_reads`), so a router or a
service cannot forget either: they never build SQL of their own. A route gets its repository as a
typed dependency that also says who may call it::

    Families = Annotated[FamilyRepository, FamilyRepository.dependency(require(Scope.families_read))]

    @router.get("/families/{family_id}")
    async def get_family(family_id: int, families: Families) -> FamilyOut:
        return await service.family_view(families, family_id)

The endpoint written into the access log ("GET /v1/families/{family_id}") is the route's own,
taken when the repository is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tefu_common.access_log import AccessLog, Reader
from tefu_common.auth import Principal
from tefu_common.auth.dependencies import TokenRequirement
from tefu_common.db import DbSession
from tefu_common.scoping import covers, scoped

Self = TypeVar("Self", bound="Repository")


def route_endpoint(request: Request) -> str:
    """``GET /v1/families/{family_id}``: the method and the route's path template."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


class Repository:
    """Queries of one domain for one caller. Subclasses set ``access_log`` (the service's)."""

    access_log: ClassVar[AccessLog | None] = None

    def __init__(self, session: AsyncSession, caller: Principal, *, endpoint: str) -> None:
        self.session = session
        self.caller = caller
        self.endpoint = endpoint
        self.reader = Reader.of(caller, endpoint)

    def scoped(self, statement: Any, column: ColumnElement[str]) -> Any:
        """``statement`` limited to the caller's region by ``column``."""
        return scoped(statement, column, self.caller)

    def covers(self, code: str | None) -> bool:
        return covers(self.caller, code)

    async def log_reads(self, rows: Iterable[dict[str, Any]]) -> int:
        """Record that the caller was shown these rows' data (each names what, with its region)."""
        if self.access_log is None:
            raise TypeError(f"{type(self).__name__} reads personal data but names no access_log")
        return await self.access_log.record(self.session, self.reader, rows)

    @classmethod
    def dependency(cls: type[Self], requirement: TokenRequirement) -> Any:
        """``Depends(...)`` making this repository for the authenticated caller of the route."""

        async def make(request: Request, session: DbSession, caller: Principal = Depends(requirement)) -> Self:
            return cls(session, caller, endpoint=route_endpoint(request))

        return Depends(make)
