"""Whether a card holder has a guardian on record (Hunan 湘政办发〔2023〕36号 item 12, Zhoucun
周政发〔2018〕85号 二（五）5).

When a member of a special family cannot consent and has no other guardian, the liaison of the
family (所在单位或村（居）民委员会的联系人) signs for surgery, special examinations and special
treatment. The register records no guardians as such, so the rule reads the family:

- a parent (mother or father) has a guardian while the other parent is registered and alive;
- the child (a disabled only child) has one while either parent is registered and alive.

A parent who died (a death date on or before the day) or who is not in the register is no
guardian. This is the one place the rule is written; the desk applies it to the facts the
follower keeps (liaisons.models.FamilyParents).
"""

from __future__ import annotations

from datetime import date
from typing import Any


def guardian_on_record(holder_role: str, *, mother_alive: bool | None, father_alive: bool | None) -> bool:
    """True if the register holds a guardian for the holder. ``mother_alive`` / ``father_alive``:
    True alive, False dead, None not registered."""
    if holder_role == "mother":
        return father_alive is True
    if holder_role == "father":
        return mother_alive is True
    return mother_alive is True or father_alive is True  # the child


def parents_alive(facts: dict[str, Any], on: date) -> tuple[bool | None, bool | None]:
    """(mother_alive, father_alive) from the registry's facts document of the family on ``on``."""
    alive: dict[str, bool | None] = {"mother": None, "father": None}
    for parent in facts["family"]["parents"]:
        died = parent.get("death_date")
        alive[parent["role"]] = not (died and date.fromisoformat(died) <= on)
    return alive["mother"], alive["father"]
