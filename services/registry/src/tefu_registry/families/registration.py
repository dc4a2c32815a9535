"""Registering families, one or many at a time, by the same rules.

Registration has two steps. ``prepare_family`` checks one registration body completely in memory
(region, ID numbers against typed dates and sexes, the child, every event against the family as
it builds up) and builds its rows; it touches no database. ``persist_families`` then writes a
whole batch: one query finds parents already registered, one more external references; the ids
of the new rows are drawn at once, and each table's rows (families, members, the grams of the
members' names, events, change-feed rows) go in one write (``COPY`` on PostgreSQL). Every blind
index (the grams too) is computed in the first step, and the rows are encrypted and laid out as
columns (batch_rows.py), both of which an import runs in a worker process. The API registers a
batch of one; an import registers a thousand per batch, which is what makes a 100,000-family
file take a minute, not hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.bulk import draw_ids, insert_columns
from tefu_common.db import among
from tefu_common.errors import Conflict, FieldError, Invalid, ValidationFailed
from tefu_common.i18n import Text
from tefu_common.regions import region_table
from tefu_common.resident_id import ResidentId
from tefu_common.scoping import covers, require_within
from tefu_registry.changes.service import record_changes
from tefu_registry.drafts import Draft
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.schemas import Correction, ParentDied
from tefu_registry.events.service import check_fact, event_change, event_row, fact_of
from tefu_registry.events.timeline import Fact
from tefu_registry.families.batch_rows import FamilyRows
from tefu_registry.families.derived import refresh_derived
from tefu_registry.families.indexes import id_number_index, id_number_tail6_index, name_grams, name_index
from tefu_registry.families.models import PARENT_ROLES, Family, Member, MemberNameGram
from tefu_registry.families.schemas import ChildIn, FamilyCreate, PersonIn

ROLE_ZH = {"mother": "母亲", "father": "父亲"}
SEX_ZH = {"male": "男性", "female": "女性"}


def _wrong(field: str, code: str, zh: str, en: str) -> ValidationFailed:
    return Invalid(code, zh, en).at(field)


@dataclass
class PreparedFamily:
    family: Draft  # with .members, drafts too
    events: list[Draft] = field(default_factory=list)


def check_region(code: str, caller: Principal) -> None:
    table = region_table()
    if len(code) == 6 and table.level(code) != "county":
        name = table.name(code)
        raise _wrong("region_code", "region-not-county",
                     f"{code}（{name}）不是县级区划代码；家庭登记在县级或更细的区划",
                     f"{code} ({name}) is not a county-level code; families are registered in a county or finer")
    if not table.is_current(code[:6]):
        raise _wrong("region_code", "region-retired", f"{code} 是已停用的区划代码，请使用现行代码",
                     f"{code} is a retired region code; use the current one")
    require_within(caller, code, field="region_code")


def parent_member(role: str, person: PersonIn) -> Draft:
    resident = ResidentId.parse(person.id_number)
    expected_sex = "female" if role == "mother" else "male"
    if resident.sex != expected_sex:
        raise _wrong(f"{role}.id_number", "id-number-wrong-sex",
                     f"这是{SEX_ZH[resident.sex]}的身份证号，不能是{ROLE_ZH[role]}的",
                     f"the ID number is a {resident.sex}'s, not a {role}'s")
    if person.birth_date and person.birth_date != resident.birth_date:
        raise _wrong(f"{role}.birth_date", "birth-date-differs-from-id",
                     f"{person.birth_date} 与身份证号中的出生日期 {resident.birth_date} 不一致",
                     f"{person.birth_date} differs from the ID number's {resident.birth_date}")
    if person.sex and person.sex != resident.sex:
        raise _wrong(f"{role}.sex", "sex-differs-from-id", f"性别与身份证号不一致（身份证号为{SEX_ZH[resident.sex]}）",
                     f"{person.sex} differs from the ID number's {resident.sex}")
    account = person.bank_account
    return Draft(
        role=role, name=person.name, name_index=name_index(person.name), name_grams=name_grams(person.name),
        id_number=resident.value, id_number_index=id_number_index(resident.value), id_number_last4=resident.last4,
        id_number_tail6_index=id_number_tail6_index(resident.value),
        birth_date=resident.birth_date, sex=resident.sex, phone=person.phone,
        bank_name=account.bank if account else None, bank_account=account.account_number if account else None,
        bank_account_holder=account.holder if account else None, in_resident_pension=person.in_resident_pension,
        monthly_basic_pension=person.monthly_basic_pension, adopted=False, death_date=None, joined_on=None,
    )


def child_member(child: ChildIn, mother_birth: date | None, today: date) -> Draft:
    birth, sex, resident = child.birth_date, child.sex, None
    if child.id_number:
        resident = ResidentId.parse(child.id_number)  # already validated by the schema
        if birth and birth != resident.birth_date:
            raise _wrong("child.birth_date", "birth-date-differs-from-id",
                         f"{birth} 与身份证号中的出生日期 {resident.birth_date} 不一致",
                         f"{birth} differs from the ID number's {resident.birth_date}")
        if sex and sex != resident.sex:
            raise _wrong("child.sex", "sex-differs-from-id", f"性别与身份证号不一致（身份证号为{SEX_ZH[resident.sex]}）",
                         f"{sex} differs from the ID number's {resident.sex}")
        birth, sex = resident.birth_date, resident.sex
    if birth is None:
        raise _wrong("child.birth_date", "child-birth-date-missing", "子女没有身份证号时，必须填写出生日期",
                     "the child's birth date is needed when there is no ID number")
    if birth > today:
        raise _wrong("child.birth_date", "date-in-future", f"{birth} 是将来的日期", f"{birth} is in the future")
    if mother_birth and birth <= mother_birth:
        raise _wrong("child.birth_date", "child-born-before-mother", f"{birth} 不晚于母亲的出生日期（{mother_birth}）",
                     f"{birth} is not after the mother's birth ({mother_birth})")
    if child.adopted and child.adopted_on is None:
        raise _wrong("child.adopted_on", "adoption-date-missing", "收养子女需要填写收养日期",
                     "an adopted child needs the adoption date")
    if child.adopted_on and child.adopted_on < birth:
        raise _wrong("child.adopted_on", "adopted-before-birth", f"收养日期 {child.adopted_on} 早于子女出生（{birth}）",
                     f"{child.adopted_on} is before the child's birth ({birth})")
    return Draft(
        role="child", name=child.name, name_index=name_index(child.name), name_grams=name_grams(child.name),
        id_number=resident.value if resident else None,
        id_number_index=id_number_index(resident.value) if resident else None,
        id_number_last4=resident.last4 if resident else None,
        id_number_tail6_index=id_number_tail6_index(resident.value) if resident else None, birth_date=birth, sex=sex,
        adopted=child.adopted, joined_on=child.adopted_on if child.adopted else birth, in_resident_pension=False,
        phone=None, death_date=None, bank_name=None, bank_account=None, bank_account_holder=None,
        monthly_basic_pension=None,
    )


def prepare_family(data: FamilyCreate, *, caller: Principal, today: date) -> PreparedFamily:
    """Check a registration completely and build its rows; raises ValidationFailed."""
    check_region(data.region_code, caller)
    if data.mother is None and data.father is None:
        raise _wrong("mother", "parent-missing", "一户家庭至少要登记一位父母", "a family needs at least one parent")
    if data.mother and data.father and data.mother.id_number == data.father.id_number:
        raise _wrong("father.id_number", "father-id-is-mothers", "父亲的身份证号与母亲的相同",
                     "the father's ID number is the mother's")
    parents = [parent_member(role, person) for role, person in (("mother", data.mother), ("father", data.father)) if person]
    mother_birth = next((p.birth_date for p in parents if p.role == "mother"), None)
    child = child_member(data.child, mother_birth, today)
    now = datetime.now(timezone.utc)
    family = Draft(
        id=None, region_code=data.region_code, registered_region_code=data.region_code, hukou_type=data.hukou_type.value,
        address=data.address,
        honor_certificate_no=data.honor_certificate.number if data.honor_certificate else None,
        honor_certificate_date=data.honor_certificate.issued_on if data.honor_certificate else None,
        assistance_certificate_no=data.assistance_certificate.number if data.assistance_certificate else None,
        assistance_certificate_date=data.assistance_certificate.issued_on if data.assistance_certificate else None,
        external_ref=data.external_ref, created_at=now, created_by=caller.subject, updated_at=now, version=1,
        special_family=False, members=[*parents, child],
    )
    prepared = PreparedFamily(family)
    deaths = [ParentDied(kind="parent_died", occurred_on=p.death_date, member=role)
              for role, p in (("mother", data.mother), ("father", data.father)) if p and p.death_date]
    facts: list[Fact] = []
    for index, event in [(None, d) for d in deaths] + sorted(enumerate(data.events), key=lambda e: e[1].occurred_on
                                                              if not isinstance(e[1], Correction) else today):
        if isinstance(event, Correction):
            raise _wrong(f"events.{index}.kind", "correction-at-registration",
                         "更正用于修正已登记的事件；登记时请直接填写正确的事件",
                         "a correction fixes a recorded event; at registration send the right one")
        try:
            check_fact(event, family, facts, today=today,
                       prefix=f"events.{index}." if index is not None else f"{event.member}.death_date.")
        except ValidationFailed as exc:
            if index is None:  # a parent's death date, sent as a field of the parent
                raise ValidationFailed([FieldError(f"body.{event.member}.death_date", e.code, e.message)
                                        for e in exc.errors]) from None
            raise
        row = event_row(event, family)
        row.recorded_at, row.recorded_by = now, caller.subject
        prepared.events.append(row)
        facts = sorted([*facts, fact_of(row, len(facts))], key=lambda f: (f.occurred_on, f.event_id))
        refresh_derived(family, facts, today=today)  # a hukou move changes the region later events see
    refresh_derived(family, facts, today=today)
    return prepared


async def find_registered(session: AsyncSession, indexes: list[str]) -> dict[str, tuple[int, str]]:
    """Parents (by ID-number blind index) already in the register: index -> (family id, region)."""
    if not indexes:
        return {}
    query = (
        select(Member.id_number_index, Member.family_id, Family.region_code)
        .join(Family, Family.id == Member.family_id)
        .where(among(Member.id_number_index, indexes, session.bind.dialect.name), Member.role.in_(PARENT_ROLES))
    )
    return {row.id_number_index: (row.family_id, row.region_code) for row in await session.execute(query)}


async def find_external_refs(session: AsyncSession, refs: list[str]) -> dict[str, int]:
    if not refs:
        return {}
    rows = await session.execute(select(Family.external_ref, Family.id).where(
        among(Family.external_ref, refs, session.bind.dialect.name)))
    return {ref: family_id for ref, family_id in rows}


def registered_in(family_id: int) -> Conflict:
    return Conflict(Text(f"这位父母已在家庭 {family_id} 中登记", f"this parent is already registered in family {family_id}"),
                    code="parent-registered", existing_family_id=family_id)


def duplicate_parent(family_id: int, region: str, caller: Principal) -> Conflict:
    if covers(caller, region):
        return registered_in(family_id)
    # Outside the caller's region the family's existence is not theirs to know beyond "elsewhere".
    return Conflict(Text("这位父母已在其他辖区登记", "this parent is already registered in another region"),
                    code="parent-registered-elsewhere", existing_family_id=None)


@dataclass(frozen=True)
class _SameAs:
    """A family of the batch that repeats an earlier one of the same batch (by parent or reference)."""

    position: int


async def persist_families(
    session: AsyncSession, batch: list[PreparedFamily] | FamilyRows, *, caller: Principal
) -> list[int | Conflict]:
    """Write a batch (prepared families, or their rows made elsewhere: batch_rows.py); returns
    each family's new id, or a Conflict when its parent (or external_ref) is already registered,
    in the register or earlier in the same batch."""
    rows = batch if isinstance(batch, FamilyRows) else FamilyRows.of(batch)
    parents = rows.parent_indexes()
    external_refs = rows.family["external_ref"]
    registered = await find_registered(session, [i for found in parents for i in found])
    refs = await find_external_refs(session, [r for r in external_refs if r])
    results: list[int | Conflict | _SameAs | None] = []
    accepted: list[int] = []
    first_of: dict[str, int] = {}  # parent index or external_ref -> position in the batch
    for position, (indexes, ref) in enumerate(zip(parents, external_refs)):
        keys = [k for k in (*indexes, ref) if k]
        hit = next((registered[i] for i in indexes if i in registered), None)
        earlier = next((first_of[k] for k in keys if k in first_of), None)
        if hit is not None:
            results.append(duplicate_parent(*hit, caller))
        elif ref and ref in refs:
            results.append(Conflict(Text(f"外部编号 {ref} 已用于家庭 {refs[ref]}", f"external_ref {ref!r} is already family {refs[ref]}"),
                                    code="external-ref-registered", existing_family_id=refs[ref]))
        elif earlier is not None:
            results.append(_SameAs(earlier))
        else:
            results.append(None)
            accepted.append(position)
            first_of.update({k: position for k in keys})
    if accepted:
        for position, family_id in zip(accepted, await _write(session, rows.take(accepted), caller)):
            results[position] = family_id
    return [
        registered_in(results[r.position]) if isinstance(r, _SameAs) else r
        for r in results
    ]


async def _write(session: AsyncSession, rows: FamilyRows, caller: Principal) -> list[int]:
    """Families, members, the grams of their names, events and their change-feed rows, each
    table's rows in one write (``COPY`` on PostgreSQL), with ids drawn first; the families' ids."""
    tables = (Family.__table__, Member.__table__, MemberNameGram.__table__, LifeEvent.__table__)
    family, member, gram, event = tables
    ids = await draw_ids(session, {family: len(rows), member: len(rows.member_of), event: len(rows.event_of)})
    family_ids, member_ids, event_ids = ids[family.name], ids[member.name], ids[event.name]
    await insert_columns(session, family, {"id": family_ids, **rows.family}, bound=rows.bound[family.name])
    await insert_columns(session, member, {"id": member_ids, "family_id": [family_ids[i] for i in rows.member_of],
                                           **rows.member}, bound=rows.bound[member.name])
    await insert_columns(session, gram, {"gram": rows.gram, "member_id": [member_ids[k] for k in rows.gram_of]})
    await insert_columns(session, event, {"id": event_ids, "family_id": [family_ids[i] for i in rows.event_of],
                                          **rows.event}, bound=rows.bound[event.name])
    regions = rows.family["region_code"]
    changes = [
        {"family_id": family_id, "region_code": region, "kind": "family_registered", "actor": caller.subject,
         "changes": [{"field": "family", "old": None, "new": {"members": roles}}]}
        for family_id, region, roles in zip(family_ids, regions, rows.member_roles())
    ]
    changes += [
        {"family_id": family_ids[owner], "region_code": regions[owner], "kind": "event_recorded",
         "actor": caller.subject, "changes": [event_change(event_id, Draft(
             kind=kind, occurred_on=occurred_on, corrects_event_id=corrects))]}
        for owner, event_id, kind, occurred_on, corrects in zip(
            rows.event_of, event_ids, rows.event["kind"], rows.event["occurred_on"], rows.event["corrects_event_id"])
    ]
    await record_changes(session, changes)
    return family_ids
