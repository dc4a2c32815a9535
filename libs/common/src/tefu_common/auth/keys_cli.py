"""``tefu-keys``: create or rotate a signing key (the token issuer's, or a service's own).

    tefu-keys generate --dir var/keys                 # the issuer key: create if missing (idempotent)
    tefu-keys rotate --dir var/keys                   # new signing key; old public keys stay in the JWKS
    tefu-keys rotate --dir var/keys --name ecard      # the medical-priority service's e-card key

The issuer's key is Ed25519 (access tokens are JWTs, which have no SM2). A document key (ecard,
payments-file) is of the suite's mode: Ed25519, or SM2 with TEFU_CRYPTO=sm; --algorithm says
otherwise. Switching the mode is a rotation: the new key's public half joins <name>-jwks.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tefu_common.auth.keys import ALGORITHMS, document_algorithm, write_key_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tefu-keys", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["generate", "rotate"])
    parser.add_argument("--dir", type=Path, default=Path("var/keys"))
    parser.add_argument("--name", default="issuer", help="issuer (tokens) or a service's document key, e.g. ecard")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default=None,
                        help="ed25519 or sm2 (default: ed25519 for the issuer, the TEFU_CRYPTO mode's for documents)")
    args = parser.parse_args(argv)
    algorithm = args.algorithm or ("ed25519" if args.name == "issuer" else document_algorithm())
    key = write_key_files(args.dir, rotate=args.action == "rotate", name=args.name, algorithm=algorithm)
    print(f"{args.name} {algorithm} key {key.kid} in {args.dir}")


if __name__ == "__main__":
    main()
