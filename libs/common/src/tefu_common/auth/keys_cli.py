"""``tefu-keys``: create or rotate an Ed25519 signing key (the token issuer's, or a service's own).

    tefu-keys generate --dir var/keys                 # the issuer key: create if missing (idempotent)
    tefu-keys rotate --dir var/keys                   # new signing key; old public keys stay in the JWKS
    tefu-keys rotate --dir var/keys --name ecard      # the medical-priority service's e-card key
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tefu_common.auth.keys import write_key_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tefu-keys", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["generate", "rotate"])
    parser.add_argument("--dir", type=Path, default=Path("var/keys"))
    parser.add_argument("--name", default="issuer", help="issuer (tokens) or a service's document key, e.g. ecard")
    args = parser.parse_args(argv)
    key = write_key_files(args.dir, rotate=args.action == "rotate", name=args.name)
    print(f"{args.name} key {key.kid} in {args.dir}")


if __name__ == "__main__":
    main()
