"""Who may call the register's routes, as typed dependencies that also make the repositories."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tefu_common.auth import Principal, Scope, require
from tefu_common.repository import route_endpoint
from tefu_registry.families.repository import FamilyRepository, RegionFacts

# Reading (clerks, approvers, auditors, admins, services of the region) and changing (clerks, admins).
Families = Annotated[FamilyRepository, FamilyRepository.dependency(require(Scope.families_read))]
FamilyWriter = Annotated[FamilyRepository, FamilyRepository.dependency(require(Scope.families_write))]
_reader = require(Scope.families_read)


async def _region_facts(request: Request, caller: Principal = Depends(_reader)) -> RegionFacts:
    return RegionFacts(request.app.state.database.sessionmaker, caller, endpoint=route_endpoint(request))


FactsReader = Annotated[RegionFacts, Depends(_region_facts)]
