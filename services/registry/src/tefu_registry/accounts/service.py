"""Rules of people's accounts: what an administrator may do to which account, and the security log.

An administrator manages the accounts of their own region only (an admin of 370000 those of
Shandong, never those of 420106): every read and change goes through tefu_common.scoping, and an
account elsewhere is answered as absent. Every action, allowed or refused, is in the security log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import INSTITUTION_KIND, Principal, Role
from tefu_common.errors import Conflict, Invalid, NotFound, ProblemError
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.scoping import covers, require_within, scoped
from tefu_registry.accounts.models import Account, SecurityLogEntry
from tefu_registry.accounts.passwords import check_password_rules, hash_password
from tefu_registry.accounts.schemas import AccountCreate, AccountUpdate

# Machines have OAuth clients; accounts are for people.
PERSON_ROLES = frozenset(Role) - {Role.service}
KIND_ZH = {"hospital": "医院", "agency": "代发机构"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def log_event(
    session: AsyncSession,
    *,
    event: str,
    outcome: str,
    actor: str,
    account: Account | None = None,
    username: str | None = None,
    region: str | None = None,
    address: str | None = None,
    detail: str | None = None,
) -> SecurityLogEntry:
    """Add one entry to the security log (in the caller's transaction). Never pass a secret here."""
    entry = SecurityLogEntry(
        at=now(), event=event, outcome=outcome, actor=actor,
        account_id=account.id if account is not None else None,
        username=account.username if account is not None else username,
        # An unknown username belongs to no region: only the whole country's admins and auditors see it.
        region=account.region if account is not None else region or "000000",
        client_address=address, detail=detail,
    )
    session.add(entry)
    return entry


@asynccontextmanager
async def admin_action(
    session: AsyncSession, *, event: str, caller: Principal, address: str | None, target: str | None = None
) -> AsyncIterator[None]:
    """Log a refused administrator action too: the refusal is kept though the change is rolled back."""
    try:
        yield
    except ProblemError as exc:
        await session.rollback()
        log_event(session, event=event, outcome="refused", actor=caller.subject, username=target,
                  region=caller.region, address=address, detail=exc.code)
        await session.commit()
        raise


def _not_found(account_id: int | str) -> NotFound:
    return NotFound(Text(f"没有账户 {account_id}（或不在你的辖区）", f"no account {account_id} (or not in your region)"),
                    code="account-not-found")


def _check_institution(role: Role, hospital: str | None, agency: str | None) -> tuple[str | None, str | None]:
    kind = INSTITUTION_KIND.get(role)
    institution_id = {"hospital": hospital, "agency": agency}.get(kind or "")
    if kind and not institution_id:
        raise Invalid("institution-missing", f"{role.value} 账户必须注明所属{KIND_ZH[kind]}",
                      f"a {role.value} account must name its {kind}").at(kind)
    for other in ("hospital", "agency"):
        if other != kind and {"hospital": hospital, "agency": agency}[other]:
            raise Invalid("institution-not-allowed", f"{role.value} 账户不能绑定{KIND_ZH[other]}",
                          f"a {role.value} account cannot be bound to a {other}").at(other)
    return kind, institution_id


def _check_role(role: Role) -> None:
    if role not in PERSON_ROLES:
        raise Invalid("role-not-for-people", "service 角色只用于机器客户端，不能用于人员账户",
                      "role service is for machine clients, not for people's accounts").at("role")


async def by_username(session: AsyncSession, username: str, *, for_update: bool = False) -> Account | None:
    statement = select(Account).where(Account.username == username.strip().lower())
    return await session.scalar(statement.with_for_update() if for_update else statement)


async def create_account(
    session: AsyncSession, *, data: AccountCreate, caller: Principal, address: str | None
) -> Account:
    require_within(caller, data.region, field="region")
    _check_role(data.role)
    kind, institution_id = _check_institution(data.role, data.hospital, data.agency)
    check_password_rules(data.password, username=data.username)
    if await by_username(session, data.username) is not None:
        raise Conflict(Text(f"用户名 {data.username} 已被使用", f"username {data.username!r} is taken"),
                       code="account-exists", field="body.username")
    at = now()
    account = Account(
        username=data.username, display_name=data.display_name, role=data.role.value, region=data.region,
        institution_kind=kind, institution_id=institution_id, password_hash=await hash_password(data.password),
        password_changed_at=at, disabled=False, totp_secret=None, totp_confirmed=False, failed_attempts=0,
        created_at=at, created_by=caller.subject, updated_at=at,
    )
    session.add(account)
    await session.flush()
    log_event(session, event="account-created", outcome="success", actor=caller.subject, account=account,
              address=address, detail=f"role={account.role}")
    return account


async def list_accounts(
    session: AsyncSession, *, caller: Principal, q: str | None, page: PageRequest
) -> tuple[list[Account], str | None]:
    statement = scoped(select(Account), Account.region, caller)
    if q:
        term = q.strip().lower()
        statement = statement.where(or_(Account.username.contains(term, autoescape=True),
                                        func.lower(Account.display_name).contains(term, autoescape=True)))
    return await keyset_page(session, statement, key=[Account.id], page=page)


async def get_account(session: AsyncSession, *, account_id: int, caller: Principal) -> Account:
    account = await session.get(Account, account_id)
    # An account outside the caller's region is reported as absent: its existence is not theirs to know.
    if account is None or not covers(caller, account.region):
        raise _not_found(account_id)
    return account


async def end_sessions(session: AsyncSession, account: Account) -> None:
    """End every sign-in of the account: no refresh token issued before now is accepted any more,
    so they end at their next renewal (at most one access-token lifetime away)."""
    account.sessions_ended_at = now()


async def update_account(
    session: AsyncSession, *, account_id: int, data: AccountUpdate, caller: Principal, address: str | None
) -> Account:
    account = await get_account(session, account_id=account_id, caller=caller)
    sent = {k: v for k, v in data.model_dump(exclude_unset=True).items()
            if v is not None or k in ("hospital", "agency")}
    if "region" in sent:
        require_within(caller, sent["region"], field="region")
    role = Role(sent.get("role") or account.role)
    _check_role(role)
    before = {name: getattr(account, name) for name in ("display_name", "role", "region", "disabled",
                                                         "institution_kind", "institution_id")}
    if "role" in sent or "hospital" in sent or "agency" in sent:
        kind = INSTITUTION_KIND.get(role)
        kept = account.institution_id if account.institution_kind == kind else None  # the same kind is kept
        hospital = sent["hospital"] if "hospital" in sent else kept if kind == "hospital" else None
        agency = sent["agency"] if "agency" in sent else kept if kind == "agency" else None
        account.institution_kind, account.institution_id = _check_institution(role, hospital, agency)
    for name in ("display_name", "region", "disabled"):
        if name in sent:
            setattr(account, name, sent[name])
    account.role = role.value
    changed = sorted(name for name, value in before.items() if getattr(account, name) != value)
    if not changed:
        return account
    account.updated_at = now()
    if account.disabled or {"role", "region", "institution_kind", "institution_id"} & set(changed):
        # A disabled account, or one whose powers changed, must not keep tokens of what it was.
        await end_sessions(session, account)
    await session.flush()
    log_event(session, event="account-updated", outcome="success", actor=caller.subject, account=account,
              address=address, detail="changed=" + ",".join(changed))
    return account


async def set_password(
    session: AsyncSession, *, account_id: int, password: str, caller: Principal, address: str | None
) -> Account:
    account = await get_account(session, account_id=account_id, caller=caller)
    check_password_rules(password, username=account.username)
    account.password_hash = await hash_password(password)
    account.password_changed_at = account.updated_at = now()
    await end_sessions(session, account)
    await session.flush()
    log_event(session, event="password-set", outcome="success", actor=caller.subject, account=account, address=address)
    return account


async def unlock(session: AsyncSession, *, account_id: int, caller: Principal, address: str | None) -> Account:
    account = await get_account(session, account_id=account_id, caller=caller)
    account.locked_until, account.failed_attempts, account.first_failed_at = None, 0, None
    account.updated_at = now()
    await session.flush()
    log_event(session, event="account-unlocked", outcome="success", actor=caller.subject, account=account,
              address=address)
    return account


async def reset_totp(session: AsyncSession, *, account_id: int, caller: Principal, address: str | None) -> Account:
    """Forget the account's TOTP secret (a lost phone): an admin or approver enrols again at the next sign-in."""
    account = await get_account(session, account_id=account_id, caller=caller)
    account.totp_secret, account.totp_confirmed, account.totp_last_step = None, False, None
    account.updated_at = now()
    await end_sessions(session, account)
    await session.flush()
    log_event(session, event="totp-reset", outcome="success", actor=caller.subject, account=account, address=address)
    return account


async def security_log(
    session: AsyncSession, *, caller: Principal, page: PageRequest, filters: list
) -> tuple[list[SecurityLogEntry], str | None]:
    statement = scoped(select(SecurityLogEntry), SecurityLogEntry.region, caller).where(*filters)
    return await keyset_page(session, statement, key=[SecurityLogEntry.id], page=page)
