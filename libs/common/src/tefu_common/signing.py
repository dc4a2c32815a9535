"""Signing documents that others verify offline: e-card QR codes, disbursement manifests.

A signer has a JOSE algorithm name, the key id of its current key, the public keys it publishes
(its current key first, earlier ones kept after a rotation so that what they signed still
verifies) and ``sign``/``verify``. Ed25519 is the one here; an SM2 signer (GM/T 0003, with SM3)
fits the same protocol, so callers never name the algorithm.

Keys live as files named for their use (``<dir>/<name>-ed25519.pem`` and ``<name>-jwks.json``);
``tefu-keys rotate --name <name>`` makes a new one and keeps the old public key published.
"""

from __future__ import annotations

import base64
import fcntl
import json
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature

from tefu_common.auth.keys import SigningKey, b64url, key_paths, load_jwks, write_key_files

__all__ = ["DocumentSigner", "Ed25519Signer", "b64url", "b64url_decode", "load_signer"]


class DocumentSigner(Protocol):
    algorithm: str  # the JOSE "alg": EdDSA here

    @property
    def kid(self) -> str: ...

    @property
    def jwks(self) -> dict[str, Any]: ...

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, kid: str, data: bytes, signature: bytes) -> bool: ...


class Ed25519Signer:
    algorithm = "EdDSA"  # the JOSE name (RFC 8037) of an Ed25519 signature

    def __init__(self, key: SigningKey, published: list[dict[str, Any]] | None = None) -> None:
        self._key = key
        keys = [key.jwk] + [k for k in published or [] if k.get("kid") != key.kid]
        self._jwks = {"keys": keys}
        self._public = load_jwks(self._jwks)

    @property
    def kid(self) -> str:
        return self._key.kid

    @property
    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def sign(self, data: bytes) -> bytes:
        return self._key.private_key.sign(data)

    def verify(self, kid: str, data: bytes, signature: bytes) -> bool:
        public = self._public.get(kid)
        if public is None:
            return False
        try:
            public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def load_signer(private_path: Path, *, create: bool) -> Ed25519Signer:
    """The signer whose key is ``<dir>/<name>-ed25519.pem``, publishing ``<dir>/<name>-jwks.json``;
    ``create`` makes a missing key (outside production)."""
    name = private_path.name.removesuffix("-ed25519.pem")
    if key_paths(private_path.parent, name)[0] != private_path:
        raise ValueError(f"a signing key file is named <name>-ed25519.pem, not {private_path.name}")
    jwks_path = key_paths(private_path.parent, name)[1]
    if not private_path.is_file():
        if not create:
            raise FileNotFoundError(f"no {name} signing key at {private_path}; run "
                                    f"`tefu-keys generate --dir {private_path.parent} --name {name}`")
        # Replicas starting side by side must not each make a key of their own: the first to take
        # the lock writes it, the others find it there.
        private_path.parent.mkdir(parents=True, exist_ok=True)
        with open(private_path.parent / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not private_path.is_file():
                write_key_files(private_path.parent, name=name)
    published = json.loads(jwks_path.read_text())["keys"] if jwks_path.is_file() else []
    return Ed25519Signer(SigningKey.load(private_path), published)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
