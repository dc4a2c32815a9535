"""``tefu-registry``: administration from the command line.

    tefu-registry token --role clerk --region 370306 [--hospital H] [--agency A] [--sub NAME]

prints only a signed token on stdout (for local use and tests; it is what ``make token`` runs).

    tefu-registry seed-demo [--families 3000] [--seed 0] [--always]

registers synthetic demo families when the register is empty (what ``make run`` does).
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
    args = parser.parse_args(argv)
    # Messages in the terminal's language: English under an English locale, Chinese otherwise.
    set_language(negotiate(os.environ.get("LANG", "").split(".")[0].replace("_", "-")))
    if args.command == "seed-demo":
        import asyncio

        from tefu_registry.demo.seed import seed_command

        asyncio.run(seed_command(args.database_url, args.families, args.seed, not args.always))
        return
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
