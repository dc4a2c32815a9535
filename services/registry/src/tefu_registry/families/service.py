"""Business rules of the register: registering a family, reading it, changing its plain fields."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tefu_common.auth import Principal
from tefu_common.errors import Conflict, NotFound
from tefu_common.masking import mask_account, mask_phone
from tefu_common.regions import region_prefix
from tefu_common.resident_id import ResidentId, ResidentIdError
from tefu_registry.changes.service import record_change
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.service import family_events, invalid, record_event
from tefu_registry.events.timeline import Fact, effective_facts
from tefu_registry.families.models import PARENT_ROLES, Family, Member
from tefu_registry.families.derived import refresh_derived
from tefu_registry.families.indexes import id_number_index, name_index
from tefu_registry.families.registration import persist_families, prepare_family
from tefu_registry.families.schemas import FamilyCreate, FamilyPatch

def _now() -> datetime:
    return datetime.now(timezone.utc)


def in_region(query: Any, caller: Principal) -> Any:
    prefix = region_prefix(caller.region)
    return query.where(Family.region_code.startswith(prefix, autoescape=True)) if prefix else query


async def members_by_id(session: AsyncSession, *, member_ids: list[int], caller: Principal) -> list[tuple[Member, str]]:
    """(member, family region) for each of the ids that exists in the caller's region."""
    query = select(Member, Family.region_code).join(Family, Family.id == Member.family_id).where(Member.id.in_(member_ids))
    return [(member, region) for member, region in (await session.execute(in_region(query, caller))).all()]


async def scoped_family(session: AsyncSession, *, family_id: int, caller: Principal) -> Family:
    """The family with its members, or 404 if it does not exist or lies outside the caller's region."""
    query = in_region(select(Family).where(Family.id == family_id), caller).options(selectinload(Family.members))
    family = (await session.scalars(query)).one_or_none()
    if family is None:
        raise NotFound(f"no family {family_id}")
    return family


async def family_facts(session: AsyncSession, family_id: int) -> list[Fact]:
    return effective_facts(await family_events(session, family_id))


async def create_family(session: AsyncSession, *, data: FamilyCreate, caller: Principal, today: date) -> Family:
    """Register one family (a batch of one: see registration.py)."""
    prepared = prepare_family(data, caller=caller, today=today)
    try:
        [result] = await persist_families(session, [prepared], caller=caller)
    except IntegrityError:
        # Another request registered the same parent a moment ago; the unique index caught it.
        raise Conflict("this parent was registered by another request just now; search for the family") from None
    if isinstance(result, Conflict):
        raise result
    return await scoped_family(session, family_id=result, caller=caller)


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

