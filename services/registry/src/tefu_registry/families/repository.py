"""Reads of the register for one caller: every query limited to the caller's region, every read
of personal data written to the access log before it is returned.

A family outside the caller's region is not found (404), the same answer as a family that does
not exist. What is logged: the family of every detail view, list entry, event list, history, facts
document, and each family of the members a service asked for (people, payees). A write reads the
family it changes with :meth:`FamilyRepository.for_update` (not logged: nothing is shown yet) and
shows it afterwards through :meth:`FamilyRepository.detail_of`, which logs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select, type_coerce
from sqlalchemy import Text as SqlText
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from tefu_common.access_log import Reader
from tefu_common.auth import Principal
from tefu_common.db import among
from tefu_common.errors import NotFound
from tefu_common.field_crypto import EncryptedString, get_field_cipher
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import region_clause, require_within
from tefu_registry.access_log.models import ACCESS_LOG
from tefu_registry.changes.models import FamilyChange
from tefu_registry.changes.repository import history_page
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.repository import family_events
from tefu_registry.families.facts import stream_region_facts
from tefu_registry.families.indexes import id_number_index, id_number_tail6_index, name_index, normalise_name, query_grams
from tefu_registry.families.models import Family, Member, MemberNameGram

@dataclass(frozen=True)
class FamilySearch:
    """Filters of a search; they combine."""

    name: str | None = None
    id_number: str | None = None  # already parsed and normalised
    name_contains: str | None = None  # any part of any member's name
    id_number_tail: str | None = None  # the last 4 or 6 characters, already checked, X upper case
    region: str | None = None
    special_family: bool | None = None
    event_kind: str | None = None


def _reads(families: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"family_id": f.id, "region_code": f.region_code} for f in families]


class FamilyRepository(Repository):
    access_log = ACCESS_LOG

    async def _find(self, family_id: int, *, lock: bool = False) -> Family:
        query = self.scoped(select(Family).where(Family.id == family_id), Family.region_code)
        if lock:
            query = query.with_for_update(of=Family)
        family = (await self.session.scalars(query.options(selectinload(Family.members)))).one_or_none()
        if family is None:  # missing, or outside the caller's region: the same answer
            raise NotFound(Text(f"没有编号为 {family_id} 的家庭（或不在你的辖区）",
                                f"no family {family_id} (or not in your region)"), code="family-not-found")
        return family

    async def for_update(self, family_id: int) -> Family:
        """The family (with its members) to change or check, not yet shown: not logged.

        Its row is locked first, before anything else the write locks: every writer also takes
        the change feed's lock (changes/service.py) when it records the change, and two writers of
        one family taking the two locks in opposite orders would deadlock (PostgreSQL ends one
        with an error). SQLite has one writer at a time and ignores the lock."""
        return await self._find(family_id, lock=True)

    async def status_of(self, family_id: int) -> tuple[Family, list[LifeEvent]]:
        """The family and its events, to answer its status (dates and reasons, no personal data)."""
        family = await self._find(family_id)
        return family, await family_events(self.session, family.id)

    async def events_for_update(self, family: Family) -> list[LifeEvent]:
        """The events of a family being changed, to bring its derived values up to date (not shown)."""
        return await family_events(self.session, family.id)

    async def detail_of(self, family: Family) -> list[LifeEvent]:
        """The events of a family about to be shown in full; the read is logged."""
        await self.log_reads(_reads([family]))
        return await family_events(self.session, family.id)

    async def detail(self, family_id: int) -> tuple[Family, list[LifeEvent]]:
        """A family shown in full (members, events, facts); the read is logged."""
        family = await self._find(family_id)
        return family, await self.detail_of(family)

    async def history(self, family_id: int, page: PageRequest) -> tuple[list[FamilyChange], str | None]:
        """A page of the family's history (personal data in it is masked); the read is logged."""
        family = await self._find(family_id)
        await self.log_reads(_reads([family]))
        return await history_page(self.session, family.id, page)

    async def search(self, search: FamilySearch, page: PageRequest) -> tuple[list[Family], str | None, int]:
        """A page of the families that match, the next cursor, and how many match in all; every
        family listed is logged (the list shows masked names and ID numbers)."""
        query = self.scoped(select(Family), Family.region_code)
        if search.region:
            query = query.where(region_clause(Family.region_code, search.region))
        if search.special_family is not None:
            query = query.where(Family.special_family.is_(search.special_family))
        if search.name:
            query = query.where(exists().where(Member.family_id == Family.id,
                                               Member.name_index == name_index(search.name)))
        if search.id_number:
            query = query.where(exists().where(Member.family_id == Family.id,
                                               Member.id_number_index == id_number_index(search.id_number)))
        if search.name_contains:
            query = query.where(exists().where(Member.family_id == Family.id, Member.id.in_(_named(search.name_contains))))
        if search.id_number_tail:
            tail = search.id_number_tail
            matches = (Member.id_number_last4 == tail if len(tail) == 4
                       else Member.id_number_tail6_index == id_number_tail6_index(tail))
            query = query.where(exists().where(Member.family_id == Family.id, matches))
        if search.event_kind:
            query = query.where(exists().where(LifeEvent.family_id == Family.id, LifeEvent.kind == search.event_kind))
        # The same conditions, counted by the index they filter on: cheap next to reading the page.
        total = await self.session.scalar(select(func.count()).select_from(query.with_only_columns(Family.id).subquery()))
        families, next_cursor = await keyset_page(self.session, query.options(selectinload(Family.members)),
                                                  key=[Family.id], page=page)
        if search.name_contains:
            # Grams are a set: a name can hold every pair of the query without the query itself
            # (张秀英秀 has both pairs of 秀英秀英). Such a family is dropped from the page here, by the
            # decrypted names, before anything is logged or shown; ``total`` still counts it, and the
            # page may be shorter than the limit (the cursor stays right: it is the last family read).
            wanted = normalise_name(search.name_contains)
            families = [f for f in families if any(wanted in normalise_name(m.name) for m in f.members)]
        await self.log_reads(_reads(families))
        return families, next_cursor, int(total or 0)

    async def members(self, member_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """Identities of members, as plain rows (a bulk pass asks for a register's worth, 5,000
        at a time): (member id, family id, role, region, name, ID number, sex, birth date, death
        date) of each id that exists in the caller's region. Every family shown is logged, once
        per family, in one statement."""
        member = Member.__table__.c
        return await self._member_rows(member_ids, (member.name, member.id_number, member.sex, member.birth_date,
                                                    member.death_date))

    async def payees(self, member_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """Bank details of members, as plain rows (a batch asks for thousands a call):
        (member id, family id, role, region, name, ID number, bank, account, holder, death date).
        Every family shown is logged, once per family, in one statement."""
        member = Member.__table__.c
        return await self._member_rows(member_ids, (member.name, member.id_number, member.bank_name,
                                                    member.bank_account, member.bank_account_holder, member.death_date))

    async def _member_rows(self, member_ids: Sequence[int], columns: Sequence[Any]) -> list[tuple[Any, ...]]:
        """(member id, family id, role, region, *columns) of the members in the caller's region,
        read as table rows, not ORM objects. The encrypted columns come as stored and are opened a
        column at a time (one call each, the cipher found once), not value by value through their
        column type: a bulk read opens millions."""
        member, family = Member.__table__.c, Family.__table__.c
        sealed = [i for i, c in enumerate(columns, start=4) if isinstance(c.type, EncryptedString)]
        query = (select(member.id, member.family_id, member.role, family.region_code,
                        *(type_coerce(c, SqlText) if isinstance(c.type, EncryptedString) else c for c in columns))
                 .join(Family.__table__, family.id == member.family_id)
                 .where(among(member.id, list(member_ids), self.session.bind.dialect.name)))
        rows = (await self.session.execute(self.scoped(query, family.region_code))).all()
        if not rows:
            return []
        values = list(zip(*rows))
        cipher = get_field_cipher()
        for i in sealed:
            values[i] = cipher.decrypt_many(values[i], context=columns[i - 4].type.context)
        families = sorted(set(zip(values[1], values[3])))
        await self.log_reads({"family_id": family_id, "region_code": region} for family_id, region in families)
        return list(zip(*values))


def _named(text: str) -> Select[Any]:
    """The ids of the members whose name has every gram ``text`` needs (``indexes.query_grams``)."""
    grams = sorted(query_grams(text))
    named = select(MemberNameGram.member_id).where(MemberNameGram.gram.in_(grams))
    if len(grams) == 1:
        return named
    # A member has each gram once (the primary key), so counting rows counts distinct grams.
    return named.group_by(MemberNameGram.member_id).having(func.count() == len(grams))


class RegionFacts:
    """The facts of every family under a region, streamed for one caller.

    A stream outlives any one transaction: each chunk is read, and its access-log rows written,
    in a session of its own (``facts.py``). The region must lie within the caller's.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], caller: Principal, *, endpoint: str) -> None:
        self.sessionmaker = sessionmaker
        self.caller = caller
        self.reader = Reader.of(caller, endpoint)

    def stream(self, region: str, as_of: date) -> AsyncIterator[bytes]:
        require_within(self.caller, region, field="region", location="query")
        return stream_region_facts(self.sessionmaker, reader=self.reader, region=region, as_of=as_of)
