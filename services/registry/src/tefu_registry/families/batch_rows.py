"""A batch of checked families in the database's form, column by column.

``FamilyRows.of`` turns prepared families (registration.py) into the columns of their tables:
families, members, the grams of the members' names and the events, with personal data already
encrypted. It runs where the families were checked, in an import's worker process for a large
file, so that the service only writes: plain lists of text, dates and numbers cross between the
processes for a fraction of what the drafts themselves cost to pickle and unpickle, and go to the
database by ``COPY`` (``tefu_common.bulk``) with no per-row statement work.

Rows point at their owner by position: a member at its family's position in the batch, a gram at
its member's, an event at its family's; the ids are drawn when the batch is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tefu_common.bulk import sealed
from tefu_registry.events.models import LifeEvent
from tefu_registry.families.models import PARENT_ROLES, Family, Member

# Every column but the ids (and the owner's id, which is drawn with the batch).
FAMILY_COLUMNS = tuple(c.name for c in Family.__table__.c if c.name != "id")
MEMBER_COLUMNS = tuple(c.name for c in Member.__table__.c if c.name not in ("id", "family_id"))
EVENT_COLUMNS = tuple(c.name for c in LifeEvent.__table__.c if c.name not in ("id", "family_id"))


@dataclass
class FamilyRows:
    family: dict[str, list[Any]]
    member: dict[str, list[Any]]
    member_of: list[int]  # the family (position) of each member
    gram: list[str]
    gram_of: list[int]  # the member (position) of each gram
    event: dict[str, list[Any]]
    event_of: list[int]  # the family (position) of each event
    # Encrypted by ``of``: written as they stand.
    bound: dict[str, frozenset[str]]

    @classmethod
    def of(cls, prepared: Sequence[Any]) -> FamilyRows:
        """The rows of ``prepared`` (``PreparedFamily``), encrypted with the process's cipher."""
        # The drafts' own dicts: a key lookup costs less than getattr, a million times over.
        families = [vars(p.family) for p in prepared]
        members = [(i, vars(m)) for i, p in enumerate(prepared) for m in p.family.members]
        grams = [(k, g) for k, (_, m) in enumerate(members) for g in m["name_grams"]]
        events = [(i, vars(e)) for i, p in enumerate(prepared) for e in p.events]
        family = {name: [f[name] for f in families] for name in FAMILY_COLUMNS}
        member = {name: [m[name] for _, m in members] for name in MEMBER_COLUMNS}
        event = {name: [e[name] for _, e in events] for name in EVENT_COLUMNS}
        bound = {"family": sealed(Family.__table__, family), "member": sealed(Member.__table__, member),
                 "life_event": sealed(LifeEvent.__table__, event)}
        return cls(family=family, member=member, member_of=[i for i, _ in members], gram=[g for _, g in grams],
                   gram_of=[k for k, _ in grams], event=event, event_of=[i for i, _ in events], bound=bound)

    def __len__(self) -> int:
        return len(self.family["region_code"])

    def parent_indexes(self) -> list[list[str]]:
        """Each family's parents' ID-number blind indexes (what the register's duplicate check reads)."""
        found: list[list[str]] = [[] for _ in range(len(self))]
        for owner, role, index in zip(self.member_of, self.member["role"], self.member["id_number_index"]):
            if role in PARENT_ROLES and index:
                found[owner].append(index)
        return found

    def member_roles(self) -> list[list[str]]:
        roles: list[list[str]] = [[] for _ in range(len(self))]
        for owner, role in zip(self.member_of, self.member["role"]):
            roles[owner].append(role)
        return roles

    def take(self, positions: Sequence[int]) -> FamilyRows:
        """The families at ``positions`` (in that order) with their members, grams and events."""
        if list(positions) == list(range(len(self))):
            return self
        new_family = {old: new for new, old in enumerate(positions)}
        members = [k for k, owner in enumerate(self.member_of) if owner in new_family]
        new_member = {old: new for new, old in enumerate(members)}
        grams = [k for k, owner in enumerate(self.gram_of) if owner in new_member]
        events = [k for k, owner in enumerate(self.event_of) if owner in new_family]
        return FamilyRows(
            family={name: [values[i] for i in positions] for name, values in self.family.items()},
            member={name: [values[k] for k in members] for name, values in self.member.items()},
            member_of=[new_family[self.member_of[k]] for k in members],
            gram=[self.gram[k] for k in grams], gram_of=[new_member[self.gram_of[k]] for k in grams],
            event={name: [values[k] for k in events] for name, values in self.event.items()},
            event_of=[new_family[self.event_of[k]] for k in events], bound=self.bound,
        )
