"""HTTP endpoints of people's accounts and the security log (thin: the rules are in service.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from tefu_common.auth import Authenticated, Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.regions import RegionTable
from tefu_common.ids import RowId
from tefu_registry.accounts import service, totp
from tefu_registry.accounts.addresses import client_address
from tefu_registry.accounts.models import Account, SecurityLogEntry
from tefu_registry.accounts.schemas import AccountCreate, AccountOut, AccountUpdate, PasswordSet, SecurityLogOut

AccountAdmin = Annotated[Principal, Depends(require(Scope.clients_manage, roles={Role.admin}))]
LogReader = Annotated[Principal, Depends(require(Scope.audit_read, roles={Role.admin, Role.auditor}))]

router = APIRouter(prefix="/v1", tags=["accounts"])
NOT_FOUND = problems(**{"404": "没有这个账户，或不在你的辖区（No such account, or not in your region）"})
ADMINS = (
    "\n\nAdmins only (`clients:manage`), for accounts within their region: an admin of 370000 manages the accounts "
    "of Shandong and no others (an account elsewhere is 404 `account-not-found`, a region outside theirs 422 "
    "`region-outside-scope`). Every action, allowed or refused, is in the security log with the admin, the time "
    "and the client address. Answers never carry a password or a TOTP secret."
)


def account_out(account: Account) -> AccountOut:
    region_name = "全国" if account.region == "000000" else RegionTable.default().name(account.region)
    return AccountOut(
        id=account.id, username=account.username, display_name=account.display_name, role=Role(account.role),
        region=account.region, region_name=region_name, institution_kind=account.institution_kind,
        institution_id=account.institution_id, disabled=account.disabled,
        totp_enabled=bool(account.totp_secret and account.totp_confirmed), totp_required=totp.required_for(account.role),
        locked_until=account.locked_until if account.locked_until and account.locked_until > service.now() else None,
        last_sign_in_at=account.last_sign_in_at, password_changed_at=account.password_changed_at,
        created_at=account.created_at, created_by=account.created_by, updated_at=account.updated_at,
    )


@router.get(
    "/accounts/me",
    response_model=AccountOut,
    summary="我的账户",
    description=(
        "当前登录人员自己的账户：姓名、角色、辖区、是否已启用动态验证码。\n\nAnyone signed in (a person's token from "
        "the console's sign-in). A token that is not a person's (a machine client, `make token`) is 404 "
        "`account-not-found`."
    ),
    responses=NOT_FOUND,
)
async def me(session: DbSession, caller: Authenticated) -> AccountOut:
    account = await service.by_username(session, caller.subject) if not caller.subject.startswith("client:") else None
    if account is None:
        raise NotFound(Text("这个令牌不属于任何人员账户", "this token is not a person's account"), code="account-not-found")
    return account_out(account)


@router.get(
    "/accounts",
    response_model=Page[AccountOut],
    summary="本辖区的人员账户",
    description="列出本辖区内的人员账户；`q` 按用户名或姓名查找。" + ADMINS + " By id, pages by `cursor`/`limit`.",
)
async def list_accounts(
    session: DbSession, caller: AccountAdmin, page: PageParams,
    q: Annotated[str | None, Query(max_length=64, description="Part of the username or the display name.")] = None,
) -> Page[AccountOut]:
    accounts, next_cursor = await service.list_accounts(session, caller=caller, q=q, page=page)
    return Page[AccountOut](items=[account_out(a) for a in accounts], next_cursor=next_cursor)


@router.post(
    "/accounts",
    response_model=AccountOut,
    status_code=201,
    summary="新建人员账户",
    description=(
        "为经办员、审批员、审计员或管理员新建账户，并设置初始密码（至少 10 个字符，含字母和数字，不含用户名）。"
        + ADMINS + " 409 `account-exists` for a username taken; 422 with `password-*` codes for a password that "
        "breaks the rules. Admins and approvers enrol a TOTP authenticator at their first sign-in."
    ),
    responses=problems(**{"409": "用户名已被使用（The username is taken）"}),
)
async def create_account(request: Request, data: AccountCreate, session: DbSession, caller: AccountAdmin) -> AccountOut:
    async with service.admin_action(session, event="account-created", caller=caller, address=client_address(request),
                                    target=data.username):
        account = await service.create_account(session, data=data, caller=caller, address=client_address(request))
    return account_out(account)


@router.get(
    "/accounts/{account_id}",
    response_model=AccountOut,
    summary="一个人员账户",
    description="一个账户的姓名、角色、辖区、停用和锁定状态。" + ADMINS,
    responses=NOT_FOUND,
)
async def get_account(account_id: RowId, session: DbSession, caller: AccountAdmin) -> AccountOut:
    return account_out(await service.get_account(session, account_id=account_id, caller=caller))


@router.patch(
    "/accounts/{account_id}",
    response_model=AccountOut,
    summary="修改人员账户（姓名、角色、辖区、停用）",
    description=(
        "修改 `display_name`、`role`、`region`、`disabled`（医院、代发机构人员还有 `hospital`/`agency`）；"
        "只改所发送的字段。" + ADMINS + " Disabling an account, or changing its role or region, ends its sign-ins."
    ),
    responses=NOT_FOUND,
)
async def update_account(
    request: Request, account_id: RowId, data: AccountUpdate, session: DbSession, caller: AccountAdmin
) -> AccountOut:
    address = client_address(request)
    async with service.admin_action(session, event="account-updated", caller=caller, address=address,
                                    target=str(account_id)):
        account = await service.update_account(session, account_id=account_id, data=data, caller=caller, address=address)
    return account_out(account)


@router.post(
    "/accounts/{account_id}/password",
    response_model=AccountOut,
    summary="为账户设置新密码",
    description="管理员为忘记密码的人员设置新密码；该账户现有的登录随即失效。" + ADMINS + " 422 with `password-*` codes.",
    responses=NOT_FOUND,
)
async def set_password(
    request: Request, account_id: RowId, data: PasswordSet, session: DbSession, caller: AccountAdmin
) -> AccountOut:
    address = client_address(request)
    async with service.admin_action(session, event="password-set", caller=caller, address=address,
                                    target=str(account_id)):
        account = await service.set_password(session, account_id=account_id, password=data.password, caller=caller,
                                             address=address)
    return account_out(account)


@router.post(
    "/accounts/{account_id}/unlock",
    response_model=AccountOut,
    summary="解锁账户",
    description="解除因多次登录失败造成的锁定，失败次数清零。" + ADMINS,
    responses=NOT_FOUND,
)
async def unlock(request: Request, account_id: RowId, session: DbSession, caller: AccountAdmin) -> AccountOut:
    address = client_address(request)
    async with service.admin_action(session, event="account-unlocked", caller=caller, address=address,
                                    target=str(account_id)):
        account = await service.unlock(session, account_id=account_id, caller=caller, address=address)
    return account_out(account)


@router.post(
    "/accounts/{account_id}/totp/reset",
    response_model=AccountOut,
    summary="重置动态验证码",
    description=(
        "人员换了手机或丢失验证器时使用：清除原密钥，下次登录时重新设置（管理员、审批员必须设置）；"
        "该账户现有的登录随即失效。" + ADMINS
    ),
    responses=NOT_FOUND,
)
async def reset_totp(request: Request, account_id: RowId, session: DbSession, caller: AccountAdmin) -> AccountOut:
    address = client_address(request)
    async with service.admin_action(session, event="totp-reset", caller=caller, address=address,
                                    target=str(account_id)):
        account = await service.reset_totp(session, account_id=account_id, caller=caller, address=address)
    return account_out(account)


async def _log_filters(
    event: Annotated[str | None, Query(max_length=32, description="Only this event, e.g. sign-in.")] = None,
    outcome: Annotated[str | None, Query(max_length=16, description="success, failure or refused.")] = None,
    username: Annotated[str | None, Query(max_length=64, description="Only entries about this account.")] = None,
    since: Annotated[datetime | None, Query(description="From this time on (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
) -> list[Any]:
    filters: list[Any] = []
    if event:
        filters.append(SecurityLogEntry.event == event)
    if outcome:
        filters.append(SecurityLogEntry.outcome == outcome)
    if username:
        filters.append(SecurityLogEntry.username == username.strip().lower())
    if since:
        filters.append(SecurityLogEntry.at >= since)
    if until:
        filters.append(SecurityLogEntry.at < until)
    return filters


@router.get(
    "/security-log",
    response_model=Page[SecurityLogOut],
    summary="安全日志：登录、失败、锁定和账户管理操作",
    description=(
        "每一次登录、登录失败、锁定、解锁和管理员操作：谁、何时、从哪个地址、结果如何。从不记录密码或验证码。\n\n"
        "Admins and auditors (`audit:read`), for the accounts of their region (attempts with an unknown username "
        "are seen by those of the whole country only). Filters combine: `event`, `outcome`, `username`, "
        "`since`/`until`. Oldest first, in pages (`cursor`, `limit`)."
    ),
)
async def security_log(
    session: DbSession, caller: LogReader, page: PageParams, filters: Annotated[list[Any], Depends(_log_filters)]
) -> Page[SecurityLogOut]:
    entries, next_cursor = await service.security_log(session, caller=caller, page=page, filters=filters)
    return Page[SecurityLogOut](items=[SecurityLogOut.model_validate(e, from_attributes=True) for e in entries],
                                next_cursor=next_cursor)
