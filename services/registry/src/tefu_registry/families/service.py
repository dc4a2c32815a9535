"""Business rules of the register: registering a family, showing it, changing its plain fields,
recording its events. Queries go through ``repository.FamilyRepository`` (scoped and logged)."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError

from tefu_common.errors import Conflict, Invalid
from tefu_common.field_crypto import default_normalise
from tefu_common.i18n import Text
from tefu_common.masking import mask_account, mask_id_number, mask_phone
from tefu_common.paging import PageRequest, page_of
from tefu_common.resident_id import ResidentId, ResidentIdError
from tefu_registry.changes.service import record_change
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.schemas import EventIn, EventOut, SpecialFamilyStatus
from tefu_registry.events.service import record_event
from tefu_registry.events.timeline import effective_facts, special_family_status
from tefu_registry.families.derived import refresh_derived
from tefu_registry.families.disclosure import family_out, family_summary, sees_identity
from tefu_registry.families.facts import facts_document
from tefu_registry.families.models import PARENT_ROLES, Family
from tefu_registry.families.registration import persist_families, prepare_family
from tefu_registry.families.repository import FamilyRepository, FamilySearch
from tefu_registry.families.review_tasks import settle
from tefu_registry.families.schemas import FamilyCreate, FamilyOut, FamilyPatch, FamilySummary

ROLE_ZH = {"mother": "母亲", "father": "父亲"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_as_of(value: date | None, today: date) -> date:
    day = value or today
    if day.year < 1950:
        raise Invalid("date-before-1950", f"{day} 早于 1950 年", f"{day} is before 1950").at("as_of", location="query")
    return day


async def show(families: FamilyRepository, family: Family, *, today: date) -> FamilyOut:
    """The family as the caller may see it (the read is logged)."""
    events = await families.detail_of(family)
    return family_out(family, effective_facts(events), families.caller, today=today)


async def family_view(families: FamilyRepository, family_id: int, *, today: date) -> FamilyOut:
    family = await families.for_update(family_id)
    return await show(families, family, today=today)


async def create_family(families: FamilyRepository, data: FamilyCreate, *, today: date) -> FamilyOut:
    """Register one family (a batch of one: see registration.py)."""
    prepared = prepare_family(data, caller=families.caller, today=today)
    try:
        [result] = await persist_families(families.session, [prepared], caller=families.caller)
    except IntegrityError:
        # Another request registered the same parent a moment ago; the unique index caught it.
        raise Conflict(Text("另一个请求刚刚登记了这位父母，请先查询这户家庭",
                            "this parent was registered by another request just now; search for the family"),
                       code="parent-registered") from None
    if isinstance(result, Conflict):
        raise result
    return await family_view(families, result, today=today)


async def family_status(families: FamilyRepository, family_id: int, as_of: date | None, *, today: date) -> SpecialFamilyStatus:
    family, events = await families.status_of(family_id)
    child = next((m for m in family.members if m.role == "child"), None)
    return special_family_status(
        facts=effective_facts(events), child_joined_on=child.joined_on if child else None,
        parent_roles=[m.role for m in family.members if m.role in PARENT_ROLES], as_of=check_as_of(as_of, today),
    )


async def family_facts(families: FamilyRepository, family_id: int, as_of: date | None, *, today: date) -> dict[str, Any]:
    day = check_as_of(as_of, today)
    family, events = await families.detail(family_id)
    return facts_document(family, family.members, effective_facts(events), day)


async def add_event(families: FamilyRepository, family_id: int, event: EventIn, *, today: date) -> EventOut:
    family = await families.for_update(family_id)
    row = await record_event(families.session, family=family, event=event, caller=families.caller, today=today)
    alive = {m.id for m in family.members if m.death_date is None}
    refresh_derived(family, effective_facts(await families.events_for_update(family)), today=today)
    died = frozenset(m.id for m in family.members if m.id in alive and m.death_date is not None)
    await settle(families.session, family.id, died=died, actor=families.caller.subject)
    family.updated_at, family.version = _now(), family.version + 1
    await families.session.flush()
    return event_out(row, families, in_effect=True)


async def list_events(families: FamilyRepository, family_id: int, page: PageRequest) -> tuple[list[EventOut], str | None]:
    _family, rows = await families.detail(family_id)
    effective = {f.event_id for f in effective_facts(rows)}
    shown, next_cursor = page_of(rows, key=lambda r: (r.id,), page=page)
    return [event_out(r, families, in_effect=r.id in effective or r.kind == "correction") for r in shown], next_cursor


def event_out(row: LifeEvent, families: FamilyRepository, *, in_effect: bool) -> EventOut:
    certificate = row.certificate_no
    if certificate and not sees_identity(families.caller):
        certificate = mask_id_number(certificate)
    return EventOut(
        id=row.id, kind=row.kind, occurred_on=row.occurred_on, member=row.member_role, details=row.details,
        certificate_no=certificate, corrects_event_id=row.corrects_event_id, note=row.note,
        recorded_at=row.recorded_at, recorded_by=row.recorded_by, in_effect=in_effect,
    )


# 后四位 or 后六位: digits, the check character (the last) may be X. ASCII digits only (after NFKC,
# which turns full-width ones into them): ``\d`` would also take other scripts' digits.
ID_NUMBER_TAIL = re.compile(r"^([0-9]{3}|[0-9]{5})[0-9X]$")


def check_id_number_tail(value: str) -> str:
    """The last 4 or 6 characters of an ID number, upper case; anything else is 422."""
    tail = default_normalise(value)
    if not ID_NUMBER_TAIL.match(tail):
        raise Invalid("id-number-tail-invalid", "请输入身份证号的后4位或后6位",
                      "give the last 4 or the last 6 characters of the ID number").at("id_number_tail", location="query")
    return tail


async def search(
    families: FamilyRepository, *, name: str | None, id_number: str | None, region: str | None,
    special_family: bool | None, event_kind: str | None, page: PageRequest,
    name_contains: str | None = None, id_number_tail: str | None = None,
) -> tuple[list[FamilySummary], str | None, int]:
    number = None
    if id_number:
        try:
            number = ResidentId.parse(id_number).value
        except ResidentIdError as exc:
            raise exc.at("id_number", location="query") from None
    tail = check_id_number_tail(id_number_tail) if id_number_tail is not None else None
    found, next_cursor, total = await families.search(FamilySearch(
        name=name.strip() if name else None, id_number=number, region=region, special_family=special_family,
        event_kind=event_kind, name_contains=name_contains.strip() or None if name_contains else None,
        id_number_tail=tail), page)
    return [family_summary(f) for f in found], next_cursor, total


SENSITIVE = {"address": lambda v: "***" if v else None, "phone": mask_phone, "bank_account": mask_account}


async def update_family(families: FamilyRepository, family_id: int, patch: FamilyPatch, *, today: date) -> FamilyOut:
    family = await families.for_update(family_id)
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
            raise Invalid("member-not-in-family", f"这户家庭没有登记{ROLE_ZH[role]}",
                          f"the family has no {role} on record").at(role)
        for name in person.model_fields_set:
            if name == "bank_account":
                account = person.bank_account
                assign(member, "bank_name", account.bank if account else None, f"{role}.bank_account.bank")
                assign(member, "bank_account", account.account_number if account else None, f"{role}.bank_account.account_number", "bank_account")
                assign(member, "bank_account_holder", account.holder if account else None, f"{role}.bank_account.holder", "address")
            else:
                value = getattr(person, name)
                if value is None and name in NOT_CLEARABLE:
                    raise Invalid("value-required", "这一项只能改为“是”或“否”，不能清空",
                                  "this can be set to true or false, not cleared").at(f"{role}.{name}")
                assign(member, name, value, f"{role}.{name}", name if name == "phone" else None)
    if changes:
        accounts = {c["field"].split(".")[0] for c in changes if ".bank_account." in c["field"]}
        await settle(families.session, family.id, actor=families.caller.subject,
                             new_accounts=frozenset(m.id for m in family.members if m.role in accounts))
        family.updated_at, family.version = _now(), family.version + 1
        await record_change(families.session, family_id=family.id, region_code=family.region_code, kind="family_updated",
                            actor=families.caller.subject, changes=[_jsonable(c) for c in changes])
        await families.session.flush()
    return await show(families, family, today=today)


# Fields a member always has: a change may set them, never empty them.
NOT_CLEARABLE = frozenset({"in_resident_pension"})


def _jsonable(change: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else str(v) if v is not None and not isinstance(v, (str, bool, int)) else v)
            for k, v in change.items()}
