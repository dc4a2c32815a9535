"""Values stored on a family and its members that follow from its events (kept for filtering)."""

from __future__ import annotations

from datetime import date

from tefu_registry.drafts import Draft
from tefu_registry.events.timeline import Fact, parent_death, region_on, special_family_status
from tefu_registry.families.models import PARENT_ROLES, Family


def refresh_derived(family: Family | Draft, facts: list[Fact], *, today: date) -> None:
    """Bring the stored derived values (death dates, region, status today) in line with the facts."""
    for member in family.members:
        if member.role in PARENT_ROLES:
            member.death_date = parent_death(facts, member.role)
    family.region_code = region_on(facts, family.registered_region_code, today)
    child = next((m for m in family.members if m.role == "child"), None)
    family.special_family = special_family_status(
        facts=facts,
        child_joined_on=child.joined_on if child else None,
        parent_roles=[m.role for m in family.members if m.role in PARENT_ROLES],
        as_of=today,
    ).special_family
