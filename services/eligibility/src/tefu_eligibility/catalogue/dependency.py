"""The catalogue loaded at start-up, as a route dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tefu_eligibility.catalogue.catalogue import Catalogue


def _loaded(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


CurrentCatalogue = Annotated[Catalogue, Depends(_loaded)]
"""The rule catalogue the service loaded (and validated) when it started."""
