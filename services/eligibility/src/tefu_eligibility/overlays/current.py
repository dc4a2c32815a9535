"""The catalogue a request sees: the rule files loaded at start-up, with the approved overlays on top.

An approval takes effect at once in the process that approved it and within a second in every
other process of the service: a process reads the overlays' stamp (one primary-key read) at most
once a second, and rebuilds its view of the catalogue only when the stamp differs from the one it
holds. Reading the stamp on every request would put a database round trip on every evaluation (a
desk-side question that otherwise never touches the database). The view is shared by the requests
that follow, so a region's rule set is compiled once per change, not once per request.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.db import DbSession
from tefu_eligibility.catalogue.catalogue import Catalogue
from tefu_eligibility.overlays.store import approved_overlays, overlay_stamp


STAMP_CHECK_SECONDS = 1.0


class CatalogueInForce:
    """The validated files, and the view of them with the overlays of the last stamp seen."""

    def __init__(self, files: Catalogue) -> None:
        self.files = files
        self._view: tuple[str | None, Catalogue] = (None, files)
        self._checked_at = float("-inf")

    def changed(self) -> None:
        """Overlays were approved in this process: the next request reads the stamp again."""
        self._checked_at = float("-inf")

    async def current(self, session: AsyncSession) -> Catalogue:
        now = time.monotonic()
        if now - self._checked_at < STAMP_CHECK_SECONDS:
            return self._view[1]
        self._checked_at = now
        stamp = await overlay_stamp(session)
        if stamp != self._view[0]:
            stamp, values = await approved_overlays(session)
            # Two requests may rebuild at once after a change; both build the same view.
            self._view = (stamp, self.files.with_overlays(values) if values else self.files)
        return self._view[1]


def _in_force(request: Request) -> CatalogueInForce:
    catalogues: CatalogueInForce = request.app.state.catalogues
    return catalogues


async def _current(session: DbSession, catalogues: Annotated[CatalogueInForce, Depends(_in_force)]) -> Catalogue:
    return await catalogues.current(session)


CataloguesInForce = Annotated[CatalogueInForce, Depends(_in_force)]
"""The holder itself, for the routes that change the overlays."""


CurrentCatalogue = Annotated[Catalogue, Depends(_current)]
"""The rule catalogue in force: the validated files plus the overlays approved so far."""
