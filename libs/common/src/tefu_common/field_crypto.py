"""Field-level encryption for personal data stored at rest.

PIPL requires sensitive personal information (resident ID numbers, phone
numbers, bank accounts) to be protected in storage. This module encrypts such
fields individually with AES-256-GCM, or SM4-GCM with ``TEFU_CRYPTO=sm``, so
that a database dump, backup or replica on its own discloses nothing.

Token format
    ``v1.<key_id>.<base64url(nonce || ciphertext || tag)>`` (no padding) for
    AES-256-GCM, ``v2.<key_id>.<…>`` for SM4-GCM (GB/T 32907, GCM as RFC 8998
    uses it: 96-bit nonce, 128-bit tag). The key id travels with the token so
    old rows stay readable after rotation; the version says the algorithm, so
    a cipher of either mode reads both kinds and a switch of mode is one more
    rotation (:meth:`FieldCipher.needs_rotation` is true for the other kind).

SM4 keys
    SM4 takes 128-bit keys. The configured 32-byte keys serve both modes: the
    SM4 key is HKDF-SM3 of the configured key (no salt, info
    ``tefu field-crypto sm4-gcm``), so switching modes needs no new secrets and
    the two algorithms never share key bytes.

Context binding
    The ``context`` (e.g. ``"member.id_number"``) is authenticated as AES-GCM
    associated data, so a token copied into another column fails to decrypt
    instead of silently yielding the wrong field.

Key rotation
    1. Generate a key with :func:`generate_key` and add it to the key ring
       configuration next to the existing keys.
    2. Make the new key id active. New writes use it; existing rows still
       decrypt because their token names the old key.
    3. A background job walks the encrypted columns and, for every token where
       :meth:`FieldCipher.needs_rotation` is true, stores
       :meth:`FieldCipher.rotate` (same context) in its place.
    4. Once no token references the old key, remove it from the configuration.

Equality search
    Random nonces make ciphertexts unsearchable, so columns that must be
    looked up by value carry a companion blind index (:class:`BlindIndex`), a
    keyed HMAC of the normalised value (HMAC-SHA-256, or HMAC-SM3 with
    ``TEFU_CRYPTO=sm``; both 64 hex characters). Because it is deterministic, rotating
    the blind-index key means recomputing the whole index column from the
    decrypted values; keep the old index key until that job has finished.
    Switching ``TEFU_CRYPTO`` is the same: ``tefu_common.reencrypt`` recomputes
    every index (and re-encrypts every field) with the service stopped.

SQLAlchemy integration
    Call :func:`configure_field_crypto` once at service start-up, then declare
    columns with :class:`EncryptedString`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.types import Text, TypeDecorator

from tefu_common.crypto_mode import CryptoMode, crypto_mode

__all__ = [
    "BlindIndex", "DecryptionError", "EncryptedString", "FieldCipher", "KeyRing",
    "configure_field_crypto", "default_normalise", "generate_key",
    "get_blind_index", "get_field_cipher",
]

TOKEN_VERSION = "v1"  # AES-256-GCM
SM4_TOKEN_VERSION = "v2"  # SM4-GCM
TOKEN_VERSIONS = {CryptoMode.STANDARD: TOKEN_VERSION, CryptoMode.SM: SM4_TOKEN_VERSION}
_SM4_KEY_INFO = b"tefu field-crypto sm4-gcm"
_TAG_BYTES = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_KEY_BYTES = 32
_NONCE_BYTES = 12  # 96-bit nonce: the size GCM is specified and optimised for.


class DecryptionError(Exception):
    """A token could not be decrypted (tampered, unknown key or wrong context).

    The message never contains plaintext or key material.
    """


def _validate_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not _KEY_ID_RE.match(key_id):
        raise ValueError(f"invalid key id {key_id!r}: must match [A-Za-z0-9_-]{{1,32}}")
    return key_id


def _b64decode_any(value: str) -> bytes:
    # Accept both alphabets and missing padding: keys come from env vars and
    # secret managers that are not consistent about either.
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"===", b"==", b"=")  # by length modulo 4 (one over a multiple of 4 is malformed: refused)


def _b64url_decode(text: str) -> bytes:
    # Strict (binascii's strict mode rejects stray characters instead of silently dropping them),
    # and without base64.b64decode's per-call checks of its arguments: a bulk read decodes millions.
    data = text.encode("ascii").translate(_URLSAFE) + _PADDING[len(text) % 4]
    return binascii.a2b_base64(data, strict_mode=True)


def generate_key() -> str:
    """Return a new random AES-256 key encoded as standard base64."""
    return base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


class KeyRing:
    """Named AES-256 keys plus the id of the key used for new encryptions."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        checked: dict[str, bytes] = {}
        for key_id, key in keys.items():
            _validate_key_id(key_id)
            if len(key) != _KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {_KEY_BYTES} bytes, got {len(key)}")
            checked[key_id] = bytes(key)
        if active_key_id not in checked:
            raise ValueError(f"active key id {active_key_id!r} is not in the key ring")
        self._keys = checked
        self.active_key_id = active_key_id

    @classmethod
    def from_config(cls, keys: Mapping[str, str], active_key_id: str) -> KeyRing:
        """Build from ``{key_id: base64_key}`` as found in service settings."""
        raw: dict[str, bytes] = {}
        for key_id, encoded in keys.items():
            _validate_key_id(key_id)
            try:
                raw[key_id] = _b64decode_any(encoded)
            except (binascii.Error, ValueError, TypeError, AttributeError):
                raise ValueError(f"key {key_id!r} is not valid base64") from None
        return cls(raw, active_key_id)

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def get(self, key_id: str) -> bytes | None:
        return self._keys.get(key_id)

    def __repr__(self) -> str:  # never print key material
        return f"KeyRing(key_ids={sorted(self._keys)!r}, active={self.active_key_id!r})"


class _Sm4Gcm:
    """SM4-GCM with AESGCM's interface (``cryptography`` has SM4 as a block cipher, not as an AEAD)."""

    def __init__(self, key: bytes) -> None:
        self._key = HKDF(hashes.SM3(), 16, salt=None, info=_SM4_KEY_INFO).derive(key)

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated_data)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, data[-_TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        return decryptor.update(data[:-_TAG_BYTES]) + decryptor.finalize()  # InvalidTag if altered


class FieldCipher:
    """Encryption of individual string fields: AES-256-GCM, or SM4-GCM in the ``sm`` mode.

    ``mode`` defaults to the suite's (``TEFU_CRYPTO``); it decides what ``encrypt`` writes, while
    ``decrypt`` reads tokens of both algorithms.
    """

    def __init__(self, keyring: KeyRing, *, mode: CryptoMode | None = None) -> None:
        self.keyring = keyring
        self.mode = mode or crypto_mode()
        self._version = TOKEN_VERSIONS[self.mode]
        self._aead: dict[str, dict[str, AESGCM | _Sm4Gcm]] = {
            TOKEN_VERSION: {kid: AESGCM(keyring.get(kid)) for kid in keyring.key_ids},
            SM4_TOKEN_VERSION: {kid: _Sm4Gcm(keyring.get(kid)) for kid in keyring.key_ids},
        }
        # By a token's "version.key id", what comes before its payload: one lookup for a token of
        # a known version and key, the case of every token a bulk read opens.
        self._by_head = {f"{version}.{kid}": aead for version, ciphers in self._aead.items()
                         for kid, aead in ciphers.items()}

    def encrypt(self, plaintext: str, *, context: str) -> str:
        key_id = self.keyring.active_key_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead[self._version][key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._version}.{key_id}.{_b64url_encode(nonce + sealed)}"

    def encrypt_many(self, values: list[str | None], *, context: str) -> list[str | None]:
        """:meth:`encrypt` of each value (``None`` stays ``None``), for a column of many rows: the
        nonces drawn in one read of the system's random source, the cipher and the token's head
        found once."""
        key_id = self.keyring.active_key_id
        aead = self._aead[self._version][key_id]
        head, associated = f"{self._version}.{key_id}.", context.encode()
        randomness = os.urandom(_NONCE_BYTES * len(values))
        tokens: list[str | None] = []
        for at, value in enumerate(values):
            if value is None:
                tokens.append(None)
                continue
            nonce = randomness[at * _NONCE_BYTES:(at + 1) * _NONCE_BYTES]
            sealed = aead.encrypt(nonce, str(value).encode(), associated)
            tokens.append(head + binascii.b2a_base64(nonce + sealed, newline=False).translate(_TO_URLSAFE)
                          .rstrip(b"=").decode("ascii"))
        return tokens

    def decrypt_many(self, tokens: Sequence[str | None], *, context: str) -> list[str | None]:
        """:meth:`decrypt` of each token (``None`` stays ``None``), for a column of many rows read
        as stored. A token this cannot open goes through :meth:`decrypt`, which says why."""
        associated, by_head = context.encode(), self._by_head
        opened: list[str | None] = []
        for token in tokens:
            if token is None:
                opened.append(None)
                continue
            head, _, payload = token.rpartition(".") if isinstance(token, str) else ("", "", "")
            aead = by_head.get(head)
            try:
                if aead is None:
                    raise ValueError(head)
                blob = _b64url_decode(payload)
                opened.append(aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated).decode("utf-8"))
            except (ValueError, InvalidTag):  # binascii.Error and UnicodeDecodeError are ValueErrors
                opened.append(self.decrypt(token, context=context))
        return opened

    def decrypt(self, token: str, *, context: str) -> str:
        return self.decrypt_bytes(token, context=context).decode("utf-8")

    def decrypt_bytes(self, token: str, *, context: str) -> bytes:
        """The plaintext's UTF-8 bytes, for a reader that parses them as they are (JSON, say)."""
        # The parts are looked up, not pattern-matched: an unknown version or key id (whatever its
        # shape) finds no cipher, and the payload's integrity is the AEAD tag's to check. A bulk
        # read decrypts millions of these.
        head, _, payload = token.rpartition(".") if isinstance(token, str) else ("", "", "")
        aead = self._by_head.get(head)
        if aead is None:
            parts = head.split(".")
            if len(parts) != 2 or parts[0] not in self._aead:
                raise DecryptionError("not a v1 or v2 field token")
            raise DecryptionError(f"unknown key id {parts[1][:32]!r}")
        try:
            blob = _b64url_decode(payload)
        except (binascii.Error, ValueError):
            raise DecryptionError("malformed token payload") from None
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("token payload too short")
        try:
            return aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())  # type: ignore[no-any-return]
        except InvalidTag:
            # Tamper and wrong-context are indistinguishable by design.
            raise DecryptionError("authentication failed (tampered or wrong context)") from None

    def needs_rotation(self, token: str) -> bool:
        """True if ``token`` was written under a key other than the active one, or with the
        algorithm of the other mode."""
        version, key_id, _ = self._parse(token)
        return key_id != self.keyring.active_key_id or version != self._version

    def rotate(self, token: str, *, context: str) -> str:
        """Re-encrypt ``token`` under the active key and the mode's algorithm (no-op if current)."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    @staticmethod
    def _parse(token: str) -> tuple[str, str, str]:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] not in (TOKEN_VERSION, SM4_TOKEN_VERSION):
            raise DecryptionError("not a v1 or v2 field token")
        if not _KEY_ID_RE.match(parts[1]):
            raise DecryptionError("malformed key id in token")
        return parts[0], parts[1], parts[2]


def default_normalise(value: str) -> str:
    """Strip, NFKC (full-width → ASCII) and upper-case, so ID numbers ending
    in ``x`` or ``X`` (or typed full-width) produce the same index."""
    return unicodedata.normalize("NFKC", value.strip()).upper()


class BlindIndex:
    """Keyed HMAC-SHA256 (HMAC-SM3 in the ``sm`` mode) for equality lookups on encrypted columns.

    The output is a fixed-length 64-character hex string. The index is a
    deterministic MAC: rotating its key, or switching the mode, requires
    recomputing every stored index value from the decrypted plaintext.
    ``key_id`` identifies which key an index column was built with so a
    migration can tell when it is done.
    """

    def __init__(self, key: bytes, *, key_id: str, mode: CryptoMode | None = None) -> None:
        if len(key) < 32:
            raise ValueError(f"blind index key {key_id!r} must be at least 32 bytes")
        self._key = bytes(key)
        self.key_id = _validate_key_id(key_id)
        self.mode = mode or crypto_mode()

    @classmethod
    def from_base64(cls, b64: str, *, key_id: str, mode: CryptoMode | None = None) -> BlindIndex:
        try:
            key = _b64decode_any(b64)
        except (binascii.Error, ValueError, TypeError, AttributeError):
            raise ValueError(f"blind index key {key_id!r} is not valid base64") from None
        return cls(key, key_id=key_id, mode=mode)

    def compute(
        self, value: str, *, context: str,
        normalise: Callable[[str], str] | None = default_normalise,
    ) -> str:
        """Return the 64-char hex index; ``normalise=None`` hashes ``value`` as-is."""
        norm = normalise(value) if normalise is not None else value
        # Length-prefix the context so ("a", "bc") and ("ab", "c") never collide,
        # and so equal values in different columns yield unrelated indexes.
        ctx = context.encode()
        msg = len(ctx).to_bytes(4, "big") + ctx + norm.encode()
        if self.mode is CryptoMode.SM:
            mac = crypto_hmac.HMAC(self._key, hashes.SM3())
            mac.update(msg)
            return mac.finalize().hex()
        return hmac.digest(self._key, msg, "sha256").hex()  # one-shot: no HMAC object per value

    def __repr__(self) -> str:
        return f"BlindIndex(key_id={self.key_id!r}, mode={self.mode.value!r})"


_cipher: FieldCipher | None = None
_blind_index: BlindIndex | None = None


def configure_field_crypto(cipher: FieldCipher, blind_index: BlindIndex) -> None:
    """Install the process-wide cipher and blind index (call once at start-up)."""
    global _cipher, _blind_index
    _cipher, _blind_index = cipher, blind_index


_NOT_CONFIGURED = "field crypto is not configured; call configure_field_crypto() at start-up"


def get_field_cipher() -> FieldCipher:
    if _cipher is None:
        raise RuntimeError(_NOT_CONFIGURED)
    return _cipher


def get_blind_index() -> BlindIndex:
    if _blind_index is None:
        raise RuntimeError(_NOT_CONFIGURED)
    return _blind_index


class EncryptedString(TypeDecorator):
    """String column transparently encrypted with the process-wide cipher.

    ``context`` should name the column, e.g. ``EncryptedString("member.phone")``.
    Stored as ``Text`` because token length grows with the plaintext. Random
    nonces mean ``WHERE col = :value`` never matches; filter on a blind index.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.context = context

    def plaintext(self, value: Any) -> str:
        """What is encrypted for ``value`` (a column of structured values says how it is written)."""
        return str(value)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return get_field_cipher().encrypt(self.plaintext(value), context=self.context)

    def bind_many(self, values: Sequence[Any]) -> list[str | None]:
        """:meth:`process_bind_param` of each value, for a column of many rows written at once."""
        plaintext = self.plaintext
        return get_field_cipher().encrypt_many([plaintext(v) if v is not None else None for v in values],
                                               context=self.context)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return get_field_cipher().decrypt(value, context=self.context)
