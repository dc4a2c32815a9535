"""Who a card is for and what it gives: read from the registry's identities and an evaluation.

Both the change-feed follower and a clerk's hand issue turn what the other services answer into
these, so a card means the same whoever issued it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tefu_medical_priority.cards.vocabulary import Privilege

BENEFIT = "medical_priority"


@dataclass(frozen=True)
class Holder:
    """Who a card is for, as the registry knows them."""

    member_id: int
    family_id: int
    role: str
    region_code: str
    name: str
    id_number: str | None
    sex: str | None
    birth_year: int | None


@dataclass(frozen=True)
class Standing:
    """What the eligibility rules give the holder at a hospital."""

    services: list[str] = field(default_factory=list)
    privileges: list[str] = field(default_factory=list)
    citation: str | None = None


@dataclass
class FamilyStanding:
    qualifying: dict[int, Standing] = field(default_factory=dict)  # by member id
    why_not: str = ""  # in Chinese, as the rules word their conditions: kept in a card's history


def standing_of(evaluation: dict[str, Any] | None) -> FamilyStanding:
    """Who holds the green channel on the day, with their services and other hospital privileges."""
    if evaluation is None:
        return FamilyStanding(why_not="该家庭已不在登记中")
    benefits = {b["code"]: b for b in evaluation["benefits"]}
    priority = benefits.get(BENEFIT)
    if priority is None:
        return FamilyStanding(why_not=_why_not(evaluation))
    citation = priority["citation"]
    standing = FamilyStanding(why_not=_why_not(evaluation))
    for recipient in priority["recipient_details"]:
        member = recipient["member_id"]
        if member is None:
            continue
        privileges = [p.value for p in Privilege
                      if any(r["member_id"] == member for r in benefits.get(p.value, {}).get("recipient_details", []))]
        standing.qualifying[member] = Standing(
            services=list(priority.get("services", [])), privileges=privileges,
            citation=f"{citation['document']} {citation.get('clause') or ''}".strip()[:200])
    return standing


def _why_not(evaluation: dict[str, Any]) -> str:
    reasons = [r["text"] for r in evaluation.get("special_family_reasons", []) if not r["met"]]
    reasons += [r["text"] for n in evaluation.get("not_eligible", []) if n["code"] == BENEFIT for r in n["reasons"]]
    return "；".join(dict.fromkeys(reasons))[:300] or "不再符合就医优先条件"


def holder_of(person: dict[str, Any]) -> Holder:
    birth = person.get("birth_date")
    return Holder(member_id=person["member_id"], family_id=person["family_id"], role=person["role"],
                  region_code=person["region_code"], name=person["name"], id_number=person.get("id_number"),
                  sex=person.get("sex"), birth_year=int(birth[:4]) if birth else None)
