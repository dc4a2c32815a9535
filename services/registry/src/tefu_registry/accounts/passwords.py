"""Passwords: the rules a new one must meet, and Argon2id hashing off the event loop.

Hashing costs tens of milliseconds of CPU and 64 MiB by design (that is what makes a stolen
hash expensive to guess), so it runs in a worker thread: the registry goes on answering other
requests while one person signs in.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tefu_common.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 128  # a bound on the work one request can ask of the hasher

_hasher = PasswordHasher()  # Argon2id, RFC 9106 second recommended profile

# Verified against when the username is unknown, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("tefu-no-such-account-0")


def password_problem(password: str, *, username: str) -> Invalid | None:
    """Why ``password`` may not be used (None if it may)."""
    if len(password) < MIN_LENGTH:
        return Invalid("password-too-short", f"密码至少 {MIN_LENGTH} 个字符", f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        return Invalid("password-too-long", f"密码最多 {MAX_LENGTH} 个字符", f"a password has at most {MAX_LENGTH} characters")
    if username and username.casefold() in password.casefold():
        return Invalid("password-contains-username", "密码不能包含用户名", "a password may not contain the username")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return Invalid("password-letters-and-digits", "密码必须同时包含字母和数字", "a password needs both letters and digits")
    return None


def check_password_rules(password: str, *, username: str, field: str = "password") -> None:
    problem = password_problem(password, username=username)
    if problem is not None:
        raise problem.at(field)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """True if ``password`` matches ``stored``; with no stored hash, the same work is done for nothing."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
