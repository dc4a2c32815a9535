"""The catalogue a request sees: the rule files loaded at start-up, with the approved overlays on top.

An approval takes effect on the next request, in every process of the service: each request reads
the overlays' stamp (one primary-key read) and rebuilds its view of the catalogue only when the
stamp differs from the one it holds. The view is shared by the requests that follow, so a region's
rule set is compiled once per change, not once per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.db import DbSession
from tefu_eligibility.catalogue.catalogue import Catalogue
from tefu_eligibility.overlays.store import approved_overlays, overlay_stamp


class CatalogueInForce:
    """The validated files, and the view of them with the overlays of the last stamp seen."""

    def __init__(self, files: Catalogue) -> None:
        self.files = files
        self._view: tuple[str | None, Catalogue] = (None, files)

    async def current(self, session: AsyncSession) -> Catalogue:
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


CurrentCatalogue = Annotated[Catalogue, Depends(_current)]
"""The rule catalogue in force: the validated files plus the overlays approved so far."""
