"""SM2 signatures with SM3 (GM/T 0003-2012, GB/T 32918), for the documents others verify offline.

The arithmetic is gmalg's (pure Python, no dependencies, its nonces from ``secrets``): the
``cryptography`` package has SM3 and SM4 but no SM2, and no maintained SM2 package ships a binary
wheel for CPython 3.11 on Linux. What is signed is SM3(Z_A ‖ M) with the default distinguishing
identifier ``1234567812345678`` (GM/T 0009-2012 §10), so any SM2 implementation verifies with its
defaults (OpenSSL 3: ``-sigopt distid:1234567812345678``, GmSSL, BouncyCastle ``SM3withSM2``).

Formats, chosen to be what other tools already read:

- private key: PKCS#8 PEM with ``id-ecPublicKey`` and the curve ``sm2`` (1.2.156.10197.1.301),
  exactly as ``openssl genpkey -algorithm SM2`` writes it, so such a key can be used too;
- public key as a JWK: ``{"kty": "EC", "crv": "SM2", "x", "y"}`` (32-byte big-endian coordinates,
  base64url). JOSE registers no SM2 curve nor algorithm, so ``crv: "SM2"`` and ``alg: "SM2"`` are
  this suite's names, chosen as the obvious ones;
- signature: ``r ‖ s``, 32 bytes each, as a JWS carries ES256 (RFC 7518 §3.4), not DER.

Pure Python is slow: about 60 signatures and 30 verifications a second on one core of the
development machine (docs/benchmarks.md), enough for e-cards made one at a time on request,
manifests and a desk's verifications.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import gmalg

from tefu_common.crypto_mode import CryptoMode, digest

__all__ = ["DEFAULT_ID", "Sm2PrivateKey", "Sm2PublicKey"]

DEFAULT_ID = b"1234567812345678"
_ORDER = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
_SIZE = 32
# The DER of PKCS#8 around an SM2 key, as OpenSSL writes it: every length is fixed (a 32-byte
# scalar, a 65-byte uncompressed point), so the key is the bytes between two constant parts.
_PKCS8_HEAD = bytes.fromhex(
    "308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")
_PKCS8_MIDDLE = bytes.fromhex("a144034200")
_PEM_LABEL = "PRIVATE KEY"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Sm2PublicKey:
    point: bytes  # 0x04 ‖ x ‖ y

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Sm2PublicKey:
        x, y = _b64url_decode(str(jwk["x"])), _b64url_decode(str(jwk["y"]))
        if len(x) != _SIZE or len(y) != _SIZE:
            raise ValueError("an SM2 JWK has 32-byte x and y")
        point = b"\x04" + x + y
        if not gmalg.SM2().verify_pk(point):
            raise ValueError("the SM2 JWK's point is not a valid public key")
        return cls(point)

    def jwk(self) -> dict[str, Any]:
        members = {"crv": "SM2", "kty": "EC", "x": _b64url(self.point[1:33]), "y": _b64url(self.point[33:])}
        # RFC 7638's thumbprint (the required members, sorted, no spaces), hashed with SM3 as
        # everything else in this mode is.
        canonical = ('{"crv":"SM2","kty":"EC","x":"%s","y":"%s"}' % (members["x"], members["y"])).encode()
        return {**members, "kid": _b64url(digest(canonical, CryptoMode.SM))[:22], "alg": "SM2", "use": "sig"}

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (r ‖ s) is this key's SM2 signature of ``data``."""
        if len(signature) != 2 * _SIZE:
            return False
        return bool(gmalg.SM2(uid=DEFAULT_ID, pk=self.point).verify(data, signature[:_SIZE], signature[_SIZE:]))


@dataclass(frozen=True)
class Sm2PrivateKey:
    scalar: bytes  # d, 32 bytes big-endian

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        # d in [1, n-2], as GB/T 32918.1 §6.1 asks (n-1 has no inverse of 1+d).
        while True:
            d = int.from_bytes(os.urandom(_SIZE), "big")
            if 1 <= d <= _ORDER - 2:
                return cls(d.to_bytes(_SIZE, "big"))

    @cached_property  # a scalar multiplication, as costly as a signature: computed once
    def public_key(self) -> Sm2PublicKey:
        return Sm2PublicKey(gmalg.SM2().generate_pk(self.scalar))

    @cached_property
    def jwk(self) -> dict[str, Any]:
        return self.public_key.jwk()

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])

    def sign(self, data: bytes) -> bytes:
        r, s = gmalg.SM2(self.scalar, DEFAULT_ID, self.public_key.point).sign(data)
        return r.rjust(_SIZE, b"\0") + s.rjust(_SIZE, b"\0")

    def pem(self) -> bytes:
        der = _PKCS8_HEAD + self.scalar + _PKCS8_MIDDLE + self.public_key.point
        body = base64.encodebytes(der).decode().replace("\n", "")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return ("\n".join([f"-----BEGIN {_PEM_LABEL}-----", *lines, f"-----END {_PEM_LABEL}-----"]) + "\n").encode()

    @classmethod
    def from_pem(cls, data: bytes) -> Sm2PrivateKey:
        text = data.decode("ascii", "replace").strip()
        begin, end = f"-----BEGIN {_PEM_LABEL}-----", f"-----END {_PEM_LABEL}-----"
        if not (text.startswith(begin) and text.endswith(end)):
            raise ValueError("not a PKCS#8 PEM private key")
        der = base64.b64decode("".join(text[len(begin):-len(end)].split()))
        size = len(_PKCS8_HEAD) + _SIZE + len(_PKCS8_MIDDLE) + 1 + 2 * _SIZE
        if len(der) != size or not der.startswith(_PKCS8_HEAD):
            raise ValueError("not an SM2 private key (PKCS#8, curve 1.2.156.10197.1.301)")
        scalar = der[len(_PKCS8_HEAD):len(_PKCS8_HEAD) + _SIZE]
        key = cls(scalar)
        if der[len(_PKCS8_HEAD) + _SIZE:] != _PKCS8_MIDDLE + key.public_key.point:
            raise ValueError("the SM2 private key's public point does not belong to it")
        return key

    @classmethod
    def load(cls, path: Path) -> Sm2PrivateKey:
        return cls.from_pem(path.read_bytes())

    def __repr__(self) -> str:  # never print key material
        return f"Sm2PrivateKey(kid={self.kid!r})"
