"""The ``user`` and ``demo-accounts`` commands of ``tefu-registry`` (argument handling and output)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys

from pydantic import ValidationError

from tefu_common.auth import Role
from tefu_common.db import Database
from tefu_common.errors import Invalid, ProblemError, ValidationFailed
from tefu_common.i18n import Text
from tefu_registry.accounts import commands


def _database(url: str) -> Database:
    from tefu_common.app import configure_encryption
    from tefu_registry.settings import RegistrySettings

    settings = RegistrySettings()
    configure_encryption(settings)  # the TOTP secret is encrypted like every other secret of the register
    return Database(url or settings.database_url)


def _fail(message: str) -> int:
    print(f"tefu-registry user: {message}", file=sys.stderr)
    return 2


def user_command(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("TEFU_USER_PASSWORD") or None
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(str(Text("密码（新账户必填，留空则不改）：", "password (required for a new account; empty keeps it): ")))
        password = password or None

    async def run() -> commands.UserResult:
        database = _database(args.database_url)
        try:
            return await commands.create_or_update_user(
                database, username=args.username, role=Role(args.role), region=args.region, password=password,
                display_name=args.name, hospital=args.hospital, agency=args.agency, new_totp=args.totp)
        finally:
            await database.dispose()

    try:
        result = asyncio.run(run())
    except ValidationFailed as exc:
        return _fail("; ".join(f"{e.field.removeprefix('body.')}: {e.message} [{e.code}]" for e in exc.errors))
    except ProblemError as exc:
        return _fail(f"{exc.detail} [{exc.code}]")
    except ValidationError as exc:
        return _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except (Invalid, ValueError) as exc:
        return _fail(str(exc))
    account = result.account
    what = Text("已创建账户", "created account") if result.created else Text("已更新账户", "updated account")
    print(f"{what} {account.username} ({account.role}, {account.region})")
    if result.totp_secret:
        print(f"{Text('动态验证码密钥', 'TOTP secret')}: {result.totp_secret}")
    return 0


def demo_accounts_command(args: argparse.Namespace) -> int:
    async def run() -> list[dict[str, str | None]]:
        database = _database(args.database_url)
        try:
            return await commands.seed_demo_accounts(database)
        finally:
            await database.dispose()

    created = asyncio.run(run())
    if args.json:
        print(json.dumps(created, ensure_ascii=False))
    else:
        for row in created:
            print(format_demo_account(row))
    return 0


def format_demo_account(row: dict[str, str | None]) -> str:
    """``clerk-zhoucun  密码 Ab3…  (clerk, 370306)``, and the TOTP secret of an admin or approver."""
    line = f"{row['username']:<17} 密码 {row['password']}  ({row['role']}, {row['region']})"
    return line + (f"  TOTP 密钥 {row['totp_secret']}" if row.get("totp_secret") else "")
