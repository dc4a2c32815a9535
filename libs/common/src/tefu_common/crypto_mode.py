"""Which family of algorithms the whole suite uses: the international one or China's SM series.

``TEFU_CRYPTO`` is read from the environment by every service alike (one setting for the suite,
not one per service, so that what one service signs or hashes another can check):

- ``standard`` (the default): Ed25519 signatures, AES-256-GCM fields, HMAC-SHA-256 blind indexes,
  SHA-256 digests;
- ``sm``: SM2 signatures with SM3 (GM/T 0003, 0004), SM4-GCM fields (GM/T 0002), HMAC-SM3 blind
  indexes and SM3 digests, as the commercial-cryptography assessment (商用密码应用安全性评估) asks.
"""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes

__all__ = ["CryptoMode", "crypto_mode", "digest", "hash_name"]

ENV = "TEFU_CRYPTO"


class CryptoMode(enum.StrEnum):
    STANDARD = "standard"
    SM = "sm"


def crypto_mode() -> CryptoMode:
    """The suite's mode, from ``TEFU_CRYPTO``; an unknown value stops the service rather than guess."""
    value = os.environ.get(ENV, CryptoMode.STANDARD.value).strip().lower() or CryptoMode.STANDARD.value
    try:
        return CryptoMode(value)
    except ValueError:
        raise RuntimeError(f"{ENV}={value!r}: expected one of {', '.join(m.value for m in CryptoMode)}") from None


def _sm3(data: bytes) -> bytes:
    hasher = hashes.Hash(hashes.SM3())
    hasher.update(data)
    return hasher.finalize()


_DIGESTS: dict[CryptoMode, tuple[str, Callable[[bytes], bytes]]] = {
    CryptoMode.STANDARD: ("sha256", lambda data: hashlib.sha256(data).digest()),
    CryptoMode.SM: ("sm3", _sm3),
}


def hash_name(mode: CryptoMode | None = None) -> str:
    """The name of the mode's digest, as stored beside what it hashed: ``sha256`` or ``sm3``."""
    return _DIGESTS[mode or crypto_mode()][0]


def digest(data: bytes, mode: CryptoMode | None = None) -> bytes:
    """The mode's 32-byte digest of ``data`` (SHA-256 or SM3)."""
    return _DIGESTS[mode or crypto_mode()][1](data)
