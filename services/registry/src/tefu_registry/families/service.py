"""Business rules of the register: registering a family, reading it, changing its plain fields."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tefu_common.auth import Principal
from tefu_common.errors import Conflict, Forbidden, NotFound
from tefu_common.field_crypto import get_blind_index
from tefu_common.masking import mask_account, mask_phone
from tefu_common.regions import region_prefix, region_table
from tefu_common.resident_id import ResidentId, ResidentIdError
from tefu_registry.changes.service import record_change
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.schemas import ParentDied
from tefu_registry.events.service import family_events, invalid, record_event
from tefu_registry.events.timeline import Fact, effective_facts, parent_death, region_on, special_family_status
from tefu_registry.families.models import PARENT_ROLES, Family, Member
from tefu_registry.families.schemas import ChildIn, FamilyCreate, FamilyPatch, PersonIn

ID_CONTEXT = "member.id_number"
NAME_CONTEXT = "member.name"


def id_number_index(value: str) -> str:
    return get_blind_index().compute(value, context=ID_CONTEXT)


def name_index(value: str) -> str:
    return get_blind_index().compute(value, context=NAME_CONTEXT)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def in_region(query: Any, caller: Principal) -> Any:
    prefix = region_prefix(caller.region)
    return query.where(Family.region_code.startswith(prefix, autoescape=True)) if prefix else query


async def scoped_family(session: AsyncSession, *, family_id: int, caller: Principal) -> Family:
    """The family with its members, or 404 if it does not exist or lies outside the caller's region."""
    query = in_region(select(Family).where(Family.id == family_id), caller).options(selectinload(Family.members))
    family = (await session.scalars(query)).one_or_none()
    if family is None:
        raise NotFound(f"no family {family_id}")
    return family


async def family_facts(session: AsyncSession, family_id: int) -> list[Fact]:
    return effective_facts(await family_events(session, family_id))


def refresh_derived(family: Family, facts: list[Fact], *, today: date) -> None:
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


def _check_region(code: str, caller: Principal) -> None:
    table = region_table()
    if len(code) == 6 and table.level(code) != "county":
        raise invalid("region_code", f"{code} ({table.name(code)}) is not a county-level code; families are registered in a county or finer")
    if not table.is_current(code[:6]):
        raise invalid("region_code", f"{code} is a retired region code; use the current one")
    if not caller.covers_region(code):
        raise Forbidden(f"your region {caller.region} does not cover {code}")


def _person(role: str, person: PersonIn) -> Member:
    resident = ResidentId.parse(person.id_number)
    expected_sex = "female" if role == "mother" else "male"
    if resident.sex != expected_sex:
        raise invalid(f"{role}.id_number", f"the ID number is a {resident.sex}'s, not a {role}'s")
    if person.birth_date and person.birth_date != resident.birth_date:
        raise invalid(f"{role}.birth_date", f"{person.birth_date} differs from the ID number's {resident.birth_date}")
    if person.sex and person.sex != resident.sex:
        raise invalid(f"{role}.sex", f"{person.sex} differs from the ID number's {resident.sex}")
    account = person.bank_account
    return Member(
        role=role, name=person.name, name_index=name_index(person.name), id_number=resident.value,
        id_number_index=id_number_index(resident.value), id_number_last4=resident.last4,
        birth_date=resident.birth_date, sex=resident.sex, phone=person.phone,
        bank_name=account.bank if account else None, bank_account=account.account_number if account else None,
        bank_account_holder=account.holder if account else None, in_resident_pension=person.in_resident_pension,
        monthly_basic_pension=person.monthly_basic_pension, adopted=False,
    )


def _child(child: ChildIn, mother_birth: date | None, today: date) -> Member:
    birth, sex, resident = child.birth_date, child.sex, None
    if child.id_number:
        try:
            resident = ResidentId.parse(child.id_number)
        except ResidentIdError as exc:  # already validated by the schema; kept for safety
            raise invalid("child.id_number", str(exc)) from None
        if birth and birth != resident.birth_date:
            raise invalid("child.birth_date", f"{birth} differs from the ID number's {resident.birth_date}")
        if sex and sex != resident.sex:
            raise invalid("child.sex", f"{sex} differs from the ID number's {resident.sex}")
        birth, sex = resident.birth_date, resident.sex
    if birth is None:
        raise invalid("child.birth_date", "the child's birth date is needed when there is no ID number")
    if birth > today:
        raise invalid("child.birth_date", f"{birth} is in the future")
    if mother_birth and birth <= mother_birth:
        raise invalid("child.birth_date", f"{birth} is not after the mother's birth ({mother_birth})")
    if child.adopted and child.adopted_on is None:
        raise invalid("child.adopted_on", "an adopted child needs the adoption date")
    if child.adopted_on and child.adopted_on < birth:
        raise invalid("child.adopted_on", f"{child.adopted_on} is before the child's birth ({birth})")
    return Member(
        role="child", name=child.name, name_index=name_index(child.name),
        id_number=resident.value if resident else None,
        id_number_index=id_number_index(resident.value) if resident else None,
        id_number_last4=resident.last4 if resident else None, birth_date=birth, sex=sex,
        adopted=child.adopted, joined_on=child.adopted_on if child.adopted else birth, in_resident_pension=False,
    )


async def _refuse_known_parents(session: AsyncSession, parents: list[Member], caller: Principal) -> None:
    indexes = [m.id_number_index for m in parents]
    query = select(Member.family_id, Member.role, Family.region_code).join(Family).where(
        Member.id_number_index.in_(indexes), Member.role.in_(PARENT_ROLES)
    )
    existing = (await session.execute(query)).first()
    if existing is not None:
        raise _duplicate_parent(existing.family_id, existing.region_code, caller)


def _duplicate_parent(family_id: int, region: str, caller: Principal) -> Conflict:
    if caller.covers_region(region):
        return Conflict(f"this parent is already registered in family {family_id}", existing_family_id=family_id)
    # Outside the caller's region the family's existence is not theirs to know beyond "elsewhere".
    return Conflict("this parent is already registered in another region", existing_family_id=None)


async def create_family(session: AsyncSession, *, data: FamilyCreate, caller: Principal, today: date) -> Family:
    _check_region(data.region_code, caller)
    if data.mother is None and data.father is None:
        raise invalid("mother", "a family needs at least one parent")
    if data.mother and data.father and data.mother.id_number == data.father.id_number:
        raise invalid("father.id_number", "the father's ID number is the mother's")
    parents = [_person(role, person) for role, person in (("mother", data.mother), ("father", data.father)) if person]
    child = _child(data.child, data.mother and ResidentId.parse(data.mother.id_number).birth_date, today)
    await _refuse_known_parents(session, parents, caller)
    if data.external_ref and await session.scalar(select(exists().where(Family.external_ref == data.external_ref))):
        existing = await session.scalar(select(Family.id).where(Family.external_ref == data.external_ref))
        raise Conflict(f"external_ref {data.external_ref!r} is already family {existing}", existing_family_id=existing)
    now = _now()
    family = Family(
        region_code=data.region_code, registered_region_code=data.region_code, hukou_type=data.hukou_type.value,
        address=data.address,
        honor_certificate_no=data.honor_certificate.number if data.honor_certificate else None,
        honor_certificate_date=data.honor_certificate.issued_on if data.honor_certificate else None,
        assistance_certificate_no=data.assistance_certificate.number if data.assistance_certificate else None,
        assistance_certificate_date=data.assistance_certificate.issued_on if data.assistance_certificate else None,
        external_ref=data.external_ref, created_at=now, created_by=caller.subject, updated_at=now, version=1,
        special_family=False, members=[*parents, child],
    )
    session.add(family)
    try:
        await session.flush()
    except IntegrityError:
        # Another request registered the same parent a moment ago; the unique index caught it.
        raise Conflict("this parent was registered by another request just now; search for the family") from None
    await record_change(
        session, family_id=family.id, region_code=family.region_code, kind="family_registered",
        actor=caller.subject, changes=[{"field": "family", "old": None, "new": {"members": [m.role for m in family.members]}}],
    )
    initial = [ParentDied(kind="parent_died", occurred_on=p.death_date, member=role)
               for role, p in (("mother", data.mother), ("father", data.father)) if p and p.death_date]
    facts: list[Fact] = []
    for index, event in enumerate([*initial, *sorted(data.events, key=lambda e: getattr(e, "occurred_on", today))]):
        try:
            await record_event(session, family=family, event=event, caller=caller, today=today, facts=facts)
        except Exception as exc:
            _reprefix(exc, index - len(initial))
            raise
        facts = await family_facts(session, family.id)
    refresh_derived(family, facts, today=today)
    await session.flush()
    return family


def _reprefix(exc: Exception, index: int) -> None:
    """Point an event error at ``body.events.<n>`` of the registration body."""
    errors = getattr(exc, "extensions", {}).get("errors")
    if index >= 0 and errors:
        for error in errors:
            error["field"] = error["field"].replace("body.", f"body.events.{index}.", 1)


async def add_event(session: AsyncSession, *, family: Family, event: Any, caller: Principal, today: date) -> LifeEvent:
    row = await record_event(session, family=family, event=event, caller=caller, today=today)
    refresh_derived(family, await family_facts(session, family.id), today=today)
    family.updated_at, family.version = _now(), family.version + 1
    await session.flush()
    return row


SENSITIVE = {"address": lambda v: "***" if v else None, "phone": mask_phone, "bank_account": mask_account}


async def update_family(session: AsyncSession, *, family: Family, patch: FamilyPatch, caller: Principal) -> Family:
    changes: list[dict[str, Any]] = []

    def assign(target: Any, attribute: str, value: Any, label: str, shown: str | None = None) -> None:
        old = getattr(target, attribute)
        if old != value:
            mask = SENSITIVE.get(shown or attribute)
            changes.append({"field": label, "old": mask(old) if mask and old else old,
                            "new": mask(value) if mask and value else value})
            setattr(target, attribute, value)

    fields = patch.model_fields_set
    if "hukou_type" in fields and patch.hukou_type:
        assign(family, "hukou_type", patch.hukou_type.value, "hukou_type")
    if "address" in fields:
        assign(family, "address", patch.address, "address")
    for kind in ("honor", "assistance"):
        if f"{kind}_certificate" in fields:
            certificate = getattr(patch, f"{kind}_certificate")
            assign(family, f"{kind}_certificate_no", certificate.number if certificate else None, f"{kind}_certificate.number")
            assign(family, f"{kind}_certificate_date", certificate.issued_on if certificate else None, f"{kind}_certificate.issued_on")
    for role in PARENT_ROLES:
        person = getattr(patch, role)
        if person is None:
            continue
        member = next((m for m in family.members if m.role == role), None)
        if member is None:
            raise invalid(role, f"the family has no {role} on record")
        for name in person.model_fields_set:
            if name == "bank_account":
                account = person.bank_account
                assign(member, "bank_name", account.bank if account else None, f"{role}.bank_account.bank")
                assign(member, "bank_account", account.account_number if account else None, f"{role}.bank_account.account_number", "bank_account")
                assign(member, "bank_account_holder", account.holder if account else None, f"{role}.bank_account.holder", "address")
            else:
                value = getattr(person, name)
                assign(member, name, value, f"{role}.{name}", name if name == "phone" else None)
    if changes:
        family.updated_at, family.version = _now(), family.version + 1
        await record_change(session, family_id=family.id, region_code=family.region_code, kind="family_updated",
                            actor=caller.subject, changes=[_jsonable(c) for c in changes])
        await session.flush()
    return family


def _jsonable(change: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else str(v) if v is not None and not isinstance(v, (str, bool, int)) else v)
            for k, v in change.items()}


async def search(
    session: AsyncSession,
    *,
    caller: Principal,
    name: str | None,
    id_number: str | None,
    region: str | None,
    special_family: bool | None,
    event_kind: str | None,
    after: int,
    limit: int,
) -> list[Family]:
    query = in_region(select(Family), caller).where(Family.id > after).order_by(Family.id).limit(limit)
    if region:
        query = query.where(Family.region_code.startswith(region_prefix(region), autoescape=True))
    if special_family is not None:
        query = query.where(Family.special_family.is_(special_family))
    if name:
        query = query.where(exists().where(Member.family_id == Family.id, Member.name_index == name_index(name.strip())))
    if id_number:
        try:
            value = ResidentId.parse(id_number).value
        except ResidentIdError as exc:
            raise invalid("id_number", str(exc), location="query") from None
        query = query.where(exists().where(Member.family_id == Family.id, Member.id_number_index == id_number_index(value)))
    if event_kind:
        query = query.where(exists().where(LifeEvent.family_id == Family.id, LifeEvent.kind == event_kind))
    return list((await session.scalars(query.options(selectinload(Family.members)))).all())

