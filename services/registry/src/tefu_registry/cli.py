"""``tefu-registry``: administration from the command line.

    tefu-registry token --role clerk --region 370306 [--hospital H] [--agency A] [--sub NAME]

prints only a signed token on stdout (for local use and tests; it is what ``make token`` runs).

    tefu-registry seed-demo [--families 3000] [--seed 0] [--always]

registers synthetic demo families when the register is empty (what ``make run`` does).

    tefu-registry user --username clerk-zhoucun --role clerk --region 370306 [--password PW] [--name 张三]
                       [--hospital H] [--agency A] [--totp]

creates a person's account, or updates it (role, region, institution, name; the password only if
one is given; a disabled account is enabled again). The password comes from --password, else from
the environment variable TEFU_USER_PASSWORD (what ``make user`` uses, so it is not in the process
list), else it is asked for. --totp enrols a new TOTP secret and prints it.

    tefu-registry demo-accounts [--json]

creates the demo accounts of ``make run`` when there are no accounts at all, and prints them with
their passwords (and the TOTP secrets of the admin and approver); prints nothing otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys

from tefu_common.auth import INSTITUTION_KIND, SERVICE_AUDIENCES, Institution, Role, SigningKey, TokenIssuer, scopes_for
from tefu_common.errors import Invalid
from tefu_common.i18n import negotiate, set_language
from tefu_common.regions import validate_region_code
from tefu_registry.settings import RegistrySettings


def _token(args: argparse.Namespace) -> str:
    settings = RegistrySettings()
    role = Role(args.role)
    region = validate_region_code(args.region)
    kind = INSTITUTION_KIND.get(role)
    institution_id = {"hospital": args.hospital, "agency": args.agency}.get(kind or "")
    if kind and not institution_id:
        raise Invalid("institution-missing", f"{role.value} 令牌需要 --{kind}", f"a {role.value} token needs --{kind}")
    institution = Institution(kind, institution_id) if kind and institution_id else None
    issuer = TokenIssuer(SigningKey.load(settings.signing_key_file), issuer=settings.auth.issuer)
    token, _ = issuer.issue(
        subject=args.sub or f"dev-{role.value}",
        role=role,
        scopes=scopes_for(role, set(args.scope.split()) if args.scope else None),
        region=region,
        audiences=args.audience.split() if args.audience else SERVICE_AUDIENCES,
        institution=institution,
        ttl_seconds=args.ttl,
    )
    return token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tefu-registry", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a signed bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--region", required=True, help="GB/T 2260 code; 000000 for the whole country")
    token.add_argument("--hospital", default=None)
    token.add_argument("--agency", default=None)
    token.add_argument("--sub", default=None)
    token.add_argument("--scope", default=None, help="space-separated subset of the role's scopes")
    token.add_argument("--audience", default=None, help="space-separated audiences (default: every service)")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    demo = commands.add_parser("seed-demo", help="register synthetic demo families")
    demo.add_argument("--families", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--always", action="store_true", help="also when the register already has families")
    demo.add_argument("--database-url", default="")
    user = commands.add_parser("user", help="create or update a person's account")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.service])
    user.add_argument("--region", required=True, help="GB/T 2260 code; 000000 for the whole country")
    user.add_argument("--password", default=None, help="else TEFU_USER_PASSWORD, else asked for")
    user.add_argument("--name", default=None, help="display name (default: the username)")
    user.add_argument("--hospital", default=None)
    user.add_argument("--agency", default=None)
    user.add_argument("--totp", action="store_true", help="enrol a new TOTP secret and print it")
    user.add_argument("--database-url", default="")
    demo_accounts = commands.add_parser("demo-accounts", help="create the demo accounts when there are none")
    demo_accounts.add_argument("--json", action="store_true", help="print them as JSON")
    demo_accounts.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    # Messages in the terminal's language: English under an English locale, Chinese otherwise.
    set_language(negotiate(os.environ.get("LANG", "").split(".")[0].replace("_", "-")))
    if args.command == "seed-demo":
        import asyncio

        from tefu_registry.demo.seed import seed_command

        asyncio.run(seed_command(args.database_url, args.families, args.seed, not args.always))
        return
    if args.command in ("user", "demo-accounts"):
        from tefu_registry.accounts.cli import demo_accounts_command, user_command

        raise SystemExit(user_command(args) if args.command == "user" else demo_accounts_command(args))
    try:
        print(_token(args))
    except Invalid as exc:
        print(f"tefu-registry token: {exc.message} [{exc.code}]", file=sys.stderr)
        raise SystemExit(2) from None
    except (ValueError, FileNotFoundError) as exc:
        print(f"tefu-registry token: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
