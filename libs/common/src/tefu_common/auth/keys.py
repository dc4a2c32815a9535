"""Signing keys as files: the token issuer's (Ed25519), and the services' document keys.

The issuer signs with one private key; its ``kid`` is the RFC 7638 thumbprint of the public key.
The published JWKS keeps earlier public keys after a rotation, so tokens signed just before a
rotation keep verifying until they expire.

A document key (``ecard``, ``payments-file``) is Ed25519 or, with ``TEFU_CRYPTO=sm``, SM2
(:mod:`tefu_common.sm2`): ``<name>-ed25519.pem`` or ``<name>-sm2.pem`` beside one
``<name>-jwks.json`` that publishes the public keys of both kinds, so that switching the mode is
one more rotation: what the earlier key signed still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tefu_common.crypto_mode import CryptoMode, crypto_mode
from tefu_common.sm2 import Sm2PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, Any]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    # RFC 7638: the thumbprint hashes the required members in lexicographic order, no spaces.
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    return {**jwk, "kid": b64url(thumbprint)[:22], "alg": "EdDSA", "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return str(self.jwk["kid"])

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise FileNotFoundError(f"token signing key not found at {path}; run `make keys`") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key)

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


Algorithm = Literal["ed25519", "sm2"]
ALGORITHMS: tuple[Algorithm, ...] = ("ed25519", "sm2")
_KEY_CLASSES: dict[str, type[SigningKey] | type[Sm2PrivateKey]] = {"ed25519": SigningKey, "sm2": Sm2PrivateKey}


def document_algorithm(mode: CryptoMode | None = None) -> Algorithm:
    """The algorithm of the documents' keys in the suite's mode (the issuer's stays Ed25519)."""
    return "sm2" if (mode or crypto_mode()) is CryptoMode.SM else "ed25519"


def key_paths(directory: Path, name: str = "issuer", algorithm: Algorithm = "ed25519") -> tuple[Path, Path]:
    """Where the private key and the public JWKS of the key named ``name`` live."""
    if algorithm not in _KEY_CLASSES:
        raise ValueError(f"unknown key algorithm {algorithm!r}: expected one of {', '.join(ALGORITHMS)}")
    return directory / f"{name}-{algorithm}.pem", directory / f"{name}-jwks.json"


def load_key(path: Path, algorithm: Algorithm = "ed25519") -> SigningKey | Sm2PrivateKey:
    """The private key in ``path``, of ``algorithm``."""
    return _KEY_CLASSES[algorithm].load(path)


def write_key_files(directory: Path, *, rotate: bool = False, name: str = "issuer",
                    algorithm: Algorithm = "ed25519") -> SigningKey | Sm2PrivateKey:
    """Create (or, with ``rotate``, replace) the key ``name``; keep old public keys in its JWKS.

    ``issuer`` is the token issuer's key; other services sign their own documents with keys of
    their own names (``ecard`` for the QR e-cards), Ed25519 or SM2 (``algorithm``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    private_path, jwks_path = key_paths(directory, name, algorithm)
    key_class = _KEY_CLASSES[algorithm]
    if private_path.exists() and not rotate:
        key = key_class.load(private_path)
    else:
        key = key_class.generate()
        # Written under a unique temporary name first, so nobody ever reads half a key.
        temporary = private_path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.pem())
        if rotate:
            os.replace(temporary, private_path)
        else:
            try:  # link, not replace: of two processes creating the key at once, the first one wins
                os.link(temporary, private_path)
            except FileExistsError:
                key = key_class.load(private_path)
            finally:
                os.unlink(temporary)
    keys = [key.jwk]
    if jwks_path.exists():
        keys += [k for k in json.loads(jwks_path.read_text())["keys"] if k.get("kid") != key.kid]
    temporary_jwks = jwks_path.with_suffix(f".{os.getpid()}.tmp")
    temporary_jwks.write_text(json.dumps({"keys": keys}, indent=2) + "\n")
    os.replace(temporary_jwks, jwks_path)
    return key


def load_jwks(data: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """Public keys by kid from a JWKS document; only Ed25519 signing keys are taken."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in data.get("keys", []):
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not jwk.get("kid"):
            continue
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys
