"""Who may call what: the eligibility routes' auth dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tefu_common.auth import Principal, Role, Scope, require

# Evaluations are read by the clerks who prepare payments, the approvers and auditors who check
# them, and the payments service; hospitals and agencies have no business here.
Evaluator = Annotated[Principal, Depends(require(
    Scope.eligibility_evaluate, roles=[Role.clerk, Role.approver, Role.auditor, Role.service, Role.admin]))]

# Rules are public policy: any caller holding rules:read sees the whole catalogue.
RulesReader = Annotated[Principal, Depends(require(Scope.rules_read))]

# Overlays set amounts that are paid: only admins holding rules:write, of a region covering the one
# they set (checked against the path by the overlays service), and never on their own proposal.
overlay_admin = require(Scope.rules_write, roles=[Role.admin])
OverlayAdmin = Annotated[Principal, Depends(overlay_admin)]
