"""PKCE (RFC 7636): the verifier stays in the session, only its S256 challenge goes to the browser."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_verifier() -> str:
    """43 to 128 unreserved characters; 64 from 48 random bytes."""
    return secrets.token_urlsafe(48)


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
