"""What each caller may see of a family (PIPL: the minimum the role needs).

- clerks and admins of the family's region see names and ID numbers in full in the detail view;
- the payments service (role ``service``) also sees bank account numbers, to pay;
- everyone else (approvers, auditors) sees masked names, ID numbers, phones and accounts;
- lists always mask names and ID numbers.
Hospitals and agencies hold no ``families:read`` scope and never get here.
"""

from __future__ import annotations

from datetime import date

from tefu_common.auth import Principal, Role
from tefu_common.masking import mask_account, mask_id_number, mask_name, mask_phone
from tefu_common.regions import region_table
from tefu_registry.events.timeline import Fact, special_family_status
from tefu_registry.families.models import Family, Member
from tefu_registry.families.schemas import (
    BankAccountOut,
    Certificate,
    FamilyOut,
    FamilySummary,
    MemberOut,
)

IDENTITY_ROLES = frozenset({Role.clerk, Role.admin})


def sees_identity(caller: Principal) -> bool:
    return caller.role in IDENTITY_ROLES


def sees_bank_accounts(caller: Principal) -> bool:
    return caller.role is Role.service


def masked_id(value: str | None) -> str | None:
    return mask_id_number(value) if value else None


def member_out(member: Member, caller: Principal) -> MemberOut:
    identity = sees_identity(caller)
    account = None
    if member.bank_account:
        account = BankAccountOut(
            bank=member.bank_name,
            account_number=member.bank_account if sees_bank_accounts(caller) else mask_account(member.bank_account),
            holder=member.bank_account_holder if identity or sees_bank_accounts(caller) else
            (mask_name(member.bank_account_holder) if member.bank_account_holder else None),
        )
    return MemberOut(
        id=member.id,
        role=member.role,
        name=member.name if identity or sees_bank_accounts(caller) else mask_name(member.name),
        id_number=member.id_number if identity else masked_id(member.id_number),
        birth_date=member.birth_date,
        sex=member.sex,
        phone=(member.phone if identity else mask_phone(member.phone)) if member.phone else None,
        death_date=member.death_date,
        adopted=member.adopted,
        joined_on=member.joined_on,
        bank_account=account,
        in_resident_pension=member.in_resident_pension,
        monthly_basic_pension=member.monthly_basic_pension,
    )


def family_out(family: Family, facts: list[Fact], caller: Principal, *, today: date) -> FamilyOut:
    child = next((m for m in family.members if m.role == "child"), None)
    return FamilyOut(
        id=family.id,
        region_code=family.region_code,
        region_name=region_table().full_name(family.region_code[:6]),
        hukou_type=family.hukou_type,
        address=family.address if sees_identity(caller) else ("***" if family.address else None),
        honor_certificate=Certificate(number=family.honor_certificate_no, issued_on=family.honor_certificate_date)
        if family.honor_certificate_no else None,
        assistance_certificate=Certificate(
            number=family.assistance_certificate_no, issued_on=family.assistance_certificate_date
        ) if family.assistance_certificate_no else None,
        members=[member_out(m, caller) for m in family.members],
        status=special_family_status(
            facts=facts,
            child_joined_on=child.joined_on if child else None,
            parent_roles=[m.role for m in family.members if m.role in ("mother", "father")],
            as_of=today,
        ),
        external_ref=family.external_ref,
        created_at=family.created_at,
        created_by=family.created_by,
        updated_at=family.updated_at,
        version=family.version,
    )


def family_summary(family: Family) -> FamilySummary:
    return FamilySummary(
        id=family.id,
        region_code=family.region_code,
        hukou_type=family.hukou_type,
        special_family=family.special_family,
        parents=[
            {"role": m.role, "name": mask_name(m.name), "id_number": masked_id(m.id_number)}
            for m in family.members
            if m.role in ("mother", "father")
        ],
        updated_at=family.updated_at,
    )
