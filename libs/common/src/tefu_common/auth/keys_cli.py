"""``tefu-keys``: create or rotate the token issuer's Ed25519 key.

    tefu-keys generate --dir var/keys     # create if missing (idempotent)
    tefu-keys rotate --dir var/keys       # new signing key; old public keys stay in the JWKS
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tefu_common.auth.keys import write_key_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tefu-keys", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["generate", "rotate"])
    parser.add_argument("--dir", type=Path, default=Path("var/keys"))
    args = parser.parse_args(argv)
    key = write_key_files(args.dir, rotate=args.action == "rotate")
    print(f"issuer key {key.kid} in {args.dir}")


if __name__ == "__main__":
    main()
