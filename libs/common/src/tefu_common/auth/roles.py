"""Roles, scopes, and which scopes each role may hold.

A token carries one role and a set of scopes. A route declares the scopes it needs (and, where
it matters, the roles); a token gets at most the scopes of its role, so a client registered as
``hospital`` can never be granted ``clients:manage`` however it is configured.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    clerk = "clerk"
    approver = "approver"
    agency = "agency"
    hospital = "hospital"
    auditor = "auditor"
    service = "service"


class Scope(StrEnum):
    families_read = "families:read"
    families_write = "families:write"
    rules_read = "rules:read"
    rules_write = "rules:write"
    eligibility_evaluate = "eligibility:evaluate"
    batches_read = "batches:read"
    batches_prepare = "batches:prepare"
    batches_approve = "batches:approve"
    disbursements_pull = "disbursements:pull"
    returns_submit = "returns:submit"
    reports_read = "reports:read"
    cards_read = "cards:read"
    cards_manage = "cards:manage"
    cards_lookup = "cards:lookup"
    visits_write = "visits:write"
    hospitals_manage = "hospitals:manage"
    agencies_manage = "agencies:manage"
    schedules_manage = "schedules:manage"
    clients_manage = "clients:manage"
    audit_read = "audit:read"
    supervision_read = "supervision:read"
    reviews_open = "reviews:open"  # open review tasks from a bank's return (the payments service)


S = Scope
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope),
    Role.clerk: frozenset(
        {S.families_read, S.families_write, S.rules_read, S.eligibility_evaluate, S.batches_read,
         S.batches_prepare, S.reports_read, S.cards_read, S.cards_manage}
    ),
    Role.approver: frozenset(
        {S.families_read, S.rules_read, S.eligibility_evaluate, S.batches_read, S.batches_approve, S.reports_read}
    ),
    Role.agency: frozenset({S.batches_read, S.disbursements_pull, S.returns_submit}),
    Role.hospital: frozenset({S.cards_lookup, S.visits_write}),
    Role.auditor: frozenset(
        {S.families_read, S.rules_read, S.eligibility_evaluate, S.batches_read, S.reports_read, S.cards_read,
         S.audit_read, S.supervision_read}
    ),
    Role.service: frozenset({S.families_read, S.rules_read, S.eligibility_evaluate, S.batches_read, S.cards_read,
                             S.reviews_open}),
}

# Machine clients of these roles act for one institution, named in the token.
INSTITUTION_KIND: dict[Role, str] = {Role.hospital: "hospital", Role.agency: "agency"}


def scopes_for(role: Role, requested: set[str] | None = None) -> frozenset[Scope]:
    """The scopes a token of ``role`` gets: all the role allows, or the requested subset.

    Raises ValueError naming any requested scope the role may not hold.
    """
    allowed = ROLE_SCOPES[role]
    if not requested:
        return allowed
    unknown = sorted(s for s in requested if s not in Scope._value2member_map_)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
    wanted = frozenset(Scope(s) for s in requested)
    excess = sorted(wanted - allowed)
    if excess:
        raise ValueError(f"role {role.value} may not hold scope(s): {', '.join(excess)}")
    return wanted
