"""Keeping the desk's copy of a family's liaisons and parents, from the registry, in the follower.

- On a ``liaison_assigned`` change the follower reads the family's liaisons
  (``GET /v1/families/{id}/liaisons``, with this service's own token) and keeps the current ones
  (no ``ended_on``): a hand-over replaces the old liaison with the new at the next round.
- Each time it checks a family that has card holders or members who qualify, it reads the
  family's facts on the day and keeps whether a mother and a father are registered and alive
  (liaisons.models.FamilyParents): a death recorded in the register reaches the desk the same
  way a card's revocation does. A bulk pass keeps the same from the parents its standing stream
  names (``record_parents_many``), without reading each family's facts again.

The feed is read from its beginning by a new installation (and again after the upgrade that
brought these tables, see migration 0004), so liaisons assigned before the service started are
there too.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.bulk import insert_rows
from tefu_medical_priority.liaisons.guardianship import parents_alive
from tefu_medical_priority.liaisons.models import FamilyLiaison, FamilyParents
from tefu_medical_priority.upstreams import RegistryClient

LIAISON_CHANGE = "liaison_assigned"


async def refresh_liaisons(session: AsyncSession, registry: RegistryClient, family_id: int) -> int:
    """Replace the family's liaisons by its current ones in the register; how many there are now."""
    listed = await registry.liaisons(family_id)
    current = [l for l in listed or [] if l.get("ended_on") is None]
    await session.execute(delete(FamilyLiaison).where(FamilyLiaison.family_id == family_id))
    now = datetime.now(timezone.utc)
    session.add_all(FamilyLiaison(id=l["id"], family_id=family_id, post=l["post"], name=l["name"], phone=l["phone"],
                                  unit=l["unit"], assigned_on=date.fromisoformat(l["assigned_on"]), fetched_at=now)
                    for l in current)
    await session.flush()
    return len(current)


async def refresh_parents(session: AsyncSession, registry: RegistryClient, family_id: int, *, today: date) -> None:
    """Whether the family's mother and father are registered and alive today (the row goes if the
    family is gone from the register)."""
    facts = await registry.facts(family_id, today)
    row = await session.get(FamilyParents, family_id)
    if facts is None:
        if row is not None:
            await session.delete(row)
        return
    mother, father = parents_alive(facts, today)
    now = datetime.now(timezone.utc)
    if row is None:
        session.add(FamilyParents(family_id=family_id, mother_alive=mother, father_alive=father, checked_on=today,
                                  checked_at=now))
    else:
        row.mother_alive, row.father_alive, row.checked_on, row.checked_at = mother, father, today, now
    await session.flush()


async def record_parents_many(session: AsyncSession, parents: dict[int, list[dict[str, Any]]], *, today: date) -> None:
    """:func:`refresh_parents` for many families at once, from facts already read (a bulk pass):
    ``parents`` maps a family to its registered parents (``role``, ``death_date``)."""
    if not parents:
        return
    now = datetime.now(timezone.utc)
    rows = []
    for family_id, registered in parents.items():
        mother, father = parents_alive({"family": {"parents": registered}}, today)
        rows.append({"family_id": family_id, "mother_alive": mother, "father_alive": father, "checked_on": today,
                     "checked_at": now})
    await insert_rows(session, FamilyParents.__table__, rows, suffix=(
        "ON CONFLICT (family_id) DO UPDATE SET mother_alive = excluded.mother_alive, father_alive = excluded.father_alive, "
        "checked_on = excluded.checked_on, checked_at = excluded.checked_at"))
