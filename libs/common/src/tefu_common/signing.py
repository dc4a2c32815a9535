"""Signing documents that others verify offline: e-card QR codes, disbursement manifests.

A signer has a JOSE algorithm name, the key id of its current key, the public keys it publishes
(its current key first, earlier ones kept after a rotation so that what they signed still
verifies) and ``sign``/``verify``. It signs with Ed25519 (``EdDSA``) or, with ``TEFU_CRYPTO=sm``,
SM2 with SM3 (``SM2``, :mod:`tefu_common.sm2`); callers never name the algorithm. It verifies
with whichever published key the ``kid`` names, of either kind (chosen by the JWK's ``kty`` and
``crv``), so what was signed before a switch of mode still verifies after it.

Keys live as files named for their use and algorithm (``<dir>/<name>-ed25519.pem`` or
``<name>-sm2.pem``, and one ``<name>-jwks.json``); ``tefu-keys rotate --name <name>`` makes a new
one and keeps the old public key published.
"""

from __future__ import annotations

import base64
import fcntl
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature

from tefu_common.auth.keys import (
    ALGORITHMS, Algorithm, SigningKey, b64url, document_algorithm, key_paths, load_jwks, load_key, write_key_files,
)
from tefu_common.crypto_mode import CryptoMode
from tefu_common.sm2 import Sm2PrivateKey, Sm2PublicKey

__all__ = ["DocumentSigner", "Ed25519Signer", "KeySigner", "Sm2Signer", "b64url", "b64url_decode",
           "document_key_file", "load_signer", "published_verifiers"]

Verifier = Callable[[bytes, bytes], bool]  # (signature, data) -> genuine


class DocumentSigner(Protocol):
    algorithm: str  # the JOSE "alg" of what it signs now: EdDSA or SM2

    @property
    def kid(self) -> str: ...

    @property
    def jwks(self) -> dict[str, Any]: ...

    @property
    def algorithms(self) -> frozenset[str]: ...

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, kid: str, data: bytes, signature: bytes, *, algorithm: str | None = None) -> bool: ...


def _ed25519_verifier(public: Any) -> Verifier:
    def verify(signature: bytes, data: bytes) -> bool:
        try:
            public.verify(signature, data)
        except InvalidSignature:
            return False
        return True
    return verify


def published_verifiers(jwks: dict[str, Any]) -> dict[str, tuple[str, Verifier]]:
    """(JOSE algorithm, verify) by kid for every signing key of a JWKS, Ed25519 and SM2 alike;
    keys of other kinds are left out (nothing here signs with them)."""
    found: dict[str, tuple[str, Verifier]] = {
        kid: ("EdDSA", _ed25519_verifier(public)) for kid, public in load_jwks(jwks).items()}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "EC" and jwk.get("crv") == "SM2" and jwk.get("kid"):
            found[str(jwk["kid"])] = ("SM2", Sm2PublicKey.from_jwk(jwk).verify)
    return found


class KeySigner:
    """Signs with one private key (Ed25519 or SM2), verifies with any key it publishes."""

    def __init__(self, key: SigningKey | Sm2PrivateKey, published: list[dict[str, Any]] | None = None) -> None:
        self._key = key
        self.algorithm = "SM2" if isinstance(key, Sm2PrivateKey) else "EdDSA"
        keys = [key.jwk] + [k for k in published or [] if k.get("kid") != key.kid]
        self._jwks = {"keys": keys}
        self._verifiers = published_verifiers(self._jwks)

    @property
    def kid(self) -> str:
        return self._key.kid

    @property
    def jwks(self) -> dict[str, Any]:
        return self._jwks

    @property
    def algorithms(self) -> frozenset[str]:
        """The JOSE algorithms of the published keys: what a document may carry in its ``alg``."""
        return frozenset(alg for alg, _ in self._verifiers.values())

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, Sm2PrivateKey):
            return self._key.sign(data)
        return self._key.private_key.sign(data)

    def verify(self, kid: str, data: bytes, signature: bytes, *, algorithm: str | None = None) -> bool:
        """Whether the published key ``kid`` signed ``data``; with ``algorithm`` (a document's
        ``alg``), only if that key is of it, so an ``alg`` cannot send a key to another algorithm."""
        found = self._verifiers.get(kid)
        if found is None or (algorithm is not None and algorithm != found[0]):
            return False
        return found[1](signature, data)


class Ed25519Signer(KeySigner):
    def __init__(self, key: SigningKey, published: list[dict[str, Any]] | None = None) -> None:
        super().__init__(key, published)


class Sm2Signer(KeySigner):
    def __init__(self, key: Sm2PrivateKey, published: list[dict[str, Any]] | None = None) -> None:
        super().__init__(key, published)


def _split(private_path: Path) -> tuple[str, Algorithm]:
    for algorithm in ALGORITHMS:
        name = private_path.name.removesuffix(f"-{algorithm}.pem")
        if name != private_path.name:
            return name, algorithm
    raise ValueError(f"a signing key file is named <name>-ed25519.pem or <name>-sm2.pem, not {private_path.name}")


def document_key_file(configured: Path, mode: CryptoMode | None = None) -> Path:
    """The key file the suite's mode signs with, given the configured one: beside it, of the same
    name, of the mode's algorithm (``payments-file-ed25519.pem`` → ``payments-file-sm2.pem`` with
    ``TEFU_CRYPTO=sm``), so one setting serves both modes."""
    name, _ = _split(configured)
    return key_paths(configured.parent, name, document_algorithm(mode))[0]


def load_signer(private_path: Path, *, create: bool, mode: CryptoMode | None = None) -> KeySigner:
    """The signer of the key ``<dir>/<name>-<algorithm>.pem`` of the suite's mode (see
    :func:`document_key_file`), publishing ``<dir>/<name>-jwks.json``; ``create`` makes a missing
    key (outside production)."""
    private_path = document_key_file(private_path, mode)
    name, algorithm = _split(private_path)
    jwks_path = key_paths(private_path.parent, name, algorithm)[1]
    if not private_path.is_file():
        if not create:
            raise FileNotFoundError(f"no {name} signing key at {private_path}; run "
                                    f"`tefu-keys generate --dir {private_path.parent} --name {name}`"
                                    + (" with TEFU_CRYPTO=sm" if algorithm == "sm2" else ""))
        # Replicas starting side by side must not each make a key of their own: the first to take
        # the lock writes it, the others find it there.
        private_path.parent.mkdir(parents=True, exist_ok=True)
        with open(private_path.parent / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not private_path.is_file():
                write_key_files(private_path.parent, name=name, algorithm=algorithm)
    published = json.loads(jwks_path.read_text())["keys"] if jwks_path.is_file() else []
    key = load_key(private_path, algorithm)
    if isinstance(key, Sm2PrivateKey):
        return Sm2Signer(key, published)
    return Ed25519Signer(key, published)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
