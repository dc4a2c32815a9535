"""Accounts from the command line: ``tefu-registry user`` (what ``make user`` runs) and the demo accounts.

Both go through the same rules as the accounts API (password rules, roles, institutions) and
write the security log, with the command itself as the actor.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from tefu_common.auth import ROLE_SCOPES, Principal, Role
from tefu_common.db import Database
from tefu_registry.accounts import service, totp
from tefu_registry.accounts.models import Account
from tefu_registry.accounts.schemas import AccountCreate, AccountUpdate

ADDRESS = "command-line"


def command_principal(name: str = "tefu-registry") -> Principal:
    """Whoever runs the command on the registry's host can already read its database: the whole country."""
    return Principal(subject=name, role=Role.admin, scopes=ROLE_SCOPES[Role.admin], region="000000", institution=None,
                     client_id=None, token_id="command-line",
                     expires_at=datetime.now(timezone.utc) + timedelta(hours=1))


@dataclass
class UserResult:
    account: Account
    created: bool
    totp_secret: str | None  # set only when this command enrolled a new secret


async def create_or_update_user(
    database: Database, *, username: str, role: Role, region: str, password: str | None, display_name: str | None = None,
    hospital: str | None = None, agency: str | None = None, new_totp: bool = False, enable: bool = True,
    actor: str = "tefu-registry",
) -> UserResult:
    """Create the account, or bring an existing one to these values (password only if given)."""
    caller = command_principal(actor)
    async with database.sessionmaker() as session:
        account = await service.by_username(session, username)
        if account is None:
            if not password:
                raise ValueError("a new account needs a password")
            data = AccountCreate(username=username, display_name=display_name or username, role=role, region=region,
                                 password=password, hospital=hospital, agency=agency)
            account = await service.create_account(session, data=data, caller=caller, address=ADDRESS)
            created = True
        else:
            changes: dict[str, object] = {"role": role, "region": region}
            if enable and account.disabled:
                changes["disabled"] = False
            if display_name:
                changes["display_name"] = display_name
            if hospital:
                changes["hospital"] = hospital
            if agency:
                changes["agency"] = agency
            account = await service.update_account(session, account_id=account.id, data=AccountUpdate(**changes),
                                                   caller=caller, address=ADDRESS)
            if password:
                account = await service.set_password(session, account_id=account.id, password=password, caller=caller,
                                                     address=ADDRESS)
            created = False
        secret = None
        if new_totp:
            secret = totp.new_secret()
            account.totp_secret, account.totp_confirmed = secret, True
            service.log_event(session, event="totp-enrolled", outcome="success", actor=actor, account=account,
                              address=ADDRESS, detail="by-command")
        await session.commit()
        return UserResult(account=account, created=created, totp_secret=secret)


# The demo accounts of `make run`: one of each kind a clerk's office has, in two districts, and a
# provincial inspector of Hubei, whose score sheet and liaison duties the supervision pages show.
DEMO_ACCOUNTS = (
    ("clerk-zhoucun", "周村区经办员", Role.clerk, "370306"),
    ("approver-zhoucun", "周村区审批员", Role.approver, "370306"),
    ("admin-shandong", "山东省管理员", Role.admin, "370000"),
    ("auditor-zhoucun", "周村区审计员", Role.auditor, "370306"),
    ("clerk-wuchang", "武昌区经办员", Role.clerk, "420106"),
    ("inspector-hubei", "湖北省督导检查员", Role.auditor, "420000"),
)


def demo_password() -> str:
    """12 random characters, letters and digits (so they meet the password rules by construction)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


async def seed_demo_accounts(database: Database) -> list[dict[str, str | None]]:
    """Create the demo accounts if there are no accounts at all; what was created, with the passwords."""
    async with database.sessionmaker() as session:
        if await session.scalar(select(func.count()).select_from(Account)):
            return []
    created: list[dict[str, str | None]] = []
    for username, display_name, role, region in DEMO_ACCOUNTS:
        password = demo_password()
        result = await create_or_update_user(database, username=username, role=role, region=region, password=password,
                                             display_name=display_name, new_totp=totp.required_for(role),
                                             actor="demo-seeder")
        created.append({"username": username, "display_name": display_name, "role": role.value, "region": region,
                        "password": password, "totp_secret": result.totp_secret})
    return created
