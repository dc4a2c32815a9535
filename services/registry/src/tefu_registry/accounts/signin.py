"""Signing a person in: password, TOTP, and the lock-outs that make guessing slow.

Two counters stop guessing: one per account (5 failures within 15 minutes lock it for 15 minutes:
someone is trying passwords for one person) and one per client address (20 failures lock the
address: someone is trying many usernames). Both say when they lift. A wrong password and an
unknown username get the same answer, and take the same time.

Nothing here raises on a refusal: the outcome is returned, so that the failure, the lock and the
log entry are committed with the request instead of rolled back with an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tefu_common.calendar import CHINA
from tefu_common.db import savepoint
from tefu_common.i18n import Text
from tefu_registry.accounts import totp
from tefu_registry.accounts.models import Account, SignInAddress
from tefu_registry.accounts.passwords import verify_password
from tefu_registry.accounts.service import by_username, log_event, now


@dataclass(frozen=True)
class LockPolicy:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


@dataclass
class SignInOutcome:
    """``account`` set and ``refusal`` None: signed in. ``enrol``: the password was right, a TOTP must be enrolled.
    ``ask_totp``: the password was right and the account's code is needed."""

    account: Account | None = None
    refusal: Text | None = None
    code: str | None = None
    enrol: bool = False
    ask_totp: bool = False

    @property
    def signed_in(self) -> bool:
        return self.account is not None and self.refusal is None and not self.enrol and not self.ask_totp


WRONG_CREDENTIALS = Text("用户名或密码错误", "wrong username or password")


def when_zh(moment: datetime) -> str:
    """2026年12月2日 10:35, in China's time, as a clerk reads it."""
    local = moment.astimezone(CHINA)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def account_locked(until: datetime) -> Text:
    return Text(f"账户已锁定，将于 {when_zh(until)} 解锁",
                f"the account is locked until {until.astimezone(CHINA):%Y-%m-%d %H:%M} (China time)")


def address_locked(until: datetime) -> Text:
    return Text(f"登录失败次数过多，本机地址已锁定，将于 {when_zh(until)} 解锁",
                f"too many failed sign-ins from this address; locked until {until.astimezone(CHINA):%Y-%m-%d %H:%M} (China time)")


async def _count_failure(
    session: AsyncSession, model: type[Account] | type[SignInAddress], where: ColumnElement[bool], limit: int,
    policy: LockPolicy, at: datetime,
) -> datetime | None:
    """One more failure on the row ``where`` picks; the time it is locked until if this failure locked it.

    Counted in the database, statement by statement, never read-modify-write in Python: parallel
    guesses (eight browser tabs at once) must each count, on SQLite as on PostgreSQL.
    """
    quiet = {"synchronize_session": False}
    # A failure that raced past a lock set meanwhile does not count towards the next one.
    where = and_(where, or_(model.locked_until.is_(None), model.locked_until <= at))
    await session.execute(
        update(model).where(where, or_(model.first_failed_at.is_(None), model.first_failed_at < at - policy.window))
        .values(failed_attempts=0, first_failed_at=at).execution_options(**quiet))
    await session.execute(update(model).where(where).values(failed_attempts=model.failed_attempts + 1)
                          .execution_options(**quiet))
    until = at + policy.lock
    locked = await session.execute(
        update(model).where(where, model.failed_attempts >= limit)
        .values(locked_until=until, failed_attempts=0, first_failed_at=None).execution_options(**quiet))
    return until if locked.rowcount == 1 else None  # type: ignore[attr-defined]


async def _ensure_address_row(session: AsyncSession, address: str) -> None:
    if await session.get(SignInAddress, address) is not None:
        return
    try:
        async with savepoint(session):
            session.add(SignInAddress(address=address, failed_attempts=0))
            await session.flush()
    except IntegrityError:  # a parallel failure from the same address created it first
        pass


async def _fail(
    session: AsyncSession, *, account: Account | None, username: str, address: str, detail: str, policy: LockPolicy,
    reason: Text = WRONG_CREDENTIALS,
) -> SignInOutcome:
    at = now()
    log_event(session, event="sign-in", outcome="failure", actor=username, account=account, username=username,
              address=address, detail=detail)
    refusal, code = reason, detail
    await session.flush()
    if account is not None:
        until = await _count_failure(session, Account, Account.id == account.id, policy.account_failures, policy, at)
        await session.refresh(account)
        if until is not None:
            log_event(session, event="account-locked", outcome="success", actor=username, account=account,
                      address=address, detail=f"until={until.isoformat()}")
            refusal, code = account_locked(until), "account-locked"
    await _ensure_address_row(session, address)
    until = await _count_failure(session, SignInAddress, SignInAddress.address == address, policy.address_failures,
                                 policy, at)
    if until is not None:
        log_event(session, event="address-locked", outcome="success", actor=username, username=username,
                  region=account.region if account else None, address=address, detail=f"until={until.isoformat()}")
        refusal, code = address_locked(until), "address-locked"
    await session.flush()
    return SignInOutcome(account=None, refusal=refusal, code=code)


async def sign_in(
    session: AsyncSession, *, username: str, password: str, totp_code: str | None, address: str, policy: LockPolicy
) -> SignInOutcome:
    username = username.strip().lower()[:64]
    at = now()
    address_row = await session.get(SignInAddress, address)
    if address_row is not None and address_row.locked_until is not None and address_row.locked_until > at:
        log_event(session, event="sign-in", outcome="refused", actor=username, username=username, address=address,
                  detail="address-locked")
        return SignInOutcome(refusal=address_locked(address_row.locked_until), code="address-locked")
    # The account's row stays locked until this attempt is counted: parallel guesses queue up
    # instead of each reading the same count (PostgreSQL; SQLite serialises writers anyway).
    account = await by_username(session, username, for_update=True) if username else None
    if account is not None and account.locked_until is not None and account.locked_until > at:
        # No password is checked while locked: guessing gets nowhere, however fast.
        log_event(session, event="sign-in", outcome="refused", actor=username, account=account, address=address,
                  detail="account-locked")
        return SignInOutcome(refusal=account_locked(account.locked_until), code="account-locked")
    if not await verify_password(password, account.password_hash if account else None) or account is None:
        return await _fail(session, account=account, username=username, address=address, policy=policy,
                           detail="wrong-password" if account else "unknown-username")
    if account.disabled:
        log_event(session, event="sign-in", outcome="refused", actor=username, account=account, address=address,
                  detail="account-disabled")
        return SignInOutcome(refusal=Text("账户已停用，请联系管理员", "the account is disabled; ask an administrator"),
                             code="account-disabled")
    if account.totp_confirmed and account.totp_secret:
        if not (totp_code or "").strip():
            return SignInOutcome(account=account, ask_totp=True, refusal=Text("请输入动态验证码", "enter the one-time code"),
                                 code="totp-missing")
        if not totp.accept_code(account, totp_code or ""):
            return await _fail(session, account=account, username=username, address=address, policy=policy,
                               detail="wrong-totp", reason=Text("动态验证码错误", "wrong one-time code"))
    elif totp.required_for(account.role):
        if not account.totp_secret:
            account.totp_secret = totp.new_secret()
        await session.flush()
        return SignInOutcome(account=account, enrol=True)
    return await succeed(session, account=account, address=address)


async def succeed(session: AsyncSession, *, account: Account, address: str, event: str = "sign-in") -> SignInOutcome:
    account.failed_attempts, account.first_failed_at, account.last_sign_in_at = 0, None, now()
    log_event(session, event=event, outcome="success", actor=account.username, account=account, address=address)
    await session.flush()
    return SignInOutcome(account=account)


async def confirm_enrolment(
    session: AsyncSession, *, account: Account, totp_code: str, address: str, policy: LockPolicy
) -> SignInOutcome:
    """The first code from the newly enrolled authenticator: it proves the secret was copied right."""
    if account.locked_until is not None and account.locked_until > now():
        return SignInOutcome(refusal=account_locked(account.locked_until), code="account-locked")
    if account.disabled or not account.totp_secret or account.totp_confirmed:
        return SignInOutcome(refusal=Text("请重新登录", "sign in again"), code="enrolment-stale")
    if not totp.accept_code(account, totp_code):
        outcome = await _fail(session, account=account, username=account.username, address=address, policy=policy,
                              detail="wrong-totp", reason=Text("动态验证码错误，请核对手机上的验证码后重试",
                                                               "wrong one-time code; check the code on the phone"))
        if outcome.code == "wrong-totp":  # not locked yet: the enrolment page stays
            outcome.account, outcome.enrol = account, True
        return outcome
    account.totp_confirmed = True
    log_event(session, event="totp-enrolled", outcome="success", actor=account.username, account=account,
              address=address)
    return await succeed(session, account=account, address=address)
