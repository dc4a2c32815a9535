"""Client secrets: generated here, shown once, stored only as a scrypt hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random  # the standard library module

_N, _R, _P = 2**14, 8, 1


def new_secret() -> str:
    return _random.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = _random.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _N, _R, _P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# What an unknown client id is checked against: the same scrypt as a real secret, so that the
# time of the answer does not tell which ids exist.
UNKNOWN_CLIENT_HASH = hash_secret(new_secret())
