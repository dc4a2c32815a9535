"""Signing disbursement manifests: Ed25519 today, any algorithm that fits ``ManifestSigner`` tomorrow.

A bank verifies a manifest with the public keys at ``GET /.well-known/jwks.json`` of this service;
an SM2 signer (GM/T 0003) can replace this one without touching the callers, since they only use
``algorithm``, ``kid``, ``sign`` and ``jwk``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from tefu_common.auth import SigningKey


class ManifestSigner(Protocol):
    algorithm: str

    @property
    def kid(self) -> str: ...

    @property
    def jwk(self) -> dict[str, Any]: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    algorithm = "Ed25519"

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    @property
    def kid(self) -> str:
        return self._key.kid

    @property
    def jwk(self) -> dict[str, Any]:
        return self._key.jwk

    def sign(self, data: bytes) -> bytes:
        return self._key.private_key.sign(data)


def load_signer(path: Path, *, create: bool) -> Ed25519Signer:
    """The manifest key at ``path``; outside production a missing key is created (mode 0600)."""
    if not path.is_file() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = SigningKey.generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.pem())
    return Ed25519Signer(SigningKey.load(path))
