"""Time-based one-time codes (RFC 6238) for the accounts that must have them, and the enrolment QR."""

from __future__ import annotations

import hmac
import io
from datetime import datetime, timezone
from typing import Protocol

import pyotp
import segno

from tefu_common.auth import Role

ISSUER_NAME = "特扶"
# Administrators and approvers can change who is paid and release money: a password is not enough.
TOTP_REQUIRED = frozenset({Role.admin, Role.approver})


class TotpHolder(Protocol):
    totp_secret: str | None
    totp_last_step: int | None


def required_for(role: str) -> bool:
    return role in TOTP_REQUIRED


def new_secret() -> str:
    return pyotp.random_base32()


def matching_step(secret: str, code: str, *, at: datetime | None = None) -> int | None:
    """The 30-second step whose code ``code`` is: now's, or one either side (clocks of phones drift)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    generator = pyotp.TOTP(secret)
    moment = at or datetime.now(timezone.utc)
    now_step = generator.timecode(moment)
    for offset in (0, -1, 1):
        if hmac.compare_digest(generator.generate_otp(now_step + offset), code):
            return now_step + offset
    return None


def accept_code(account: TotpHolder, code: str) -> bool:
    """True for a right code not used before: a code seen over someone's shoulder cannot be replayed."""
    if not account.totp_secret:
        return False
    step = matching_step(account.totp_secret, code)
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    account.totp_last_step = step
    return True


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)


def qr_svg(secret: str, username: str) -> str:
    """The provisioning URI as an SVG QR code, to scan with an authenticator app (no script, no image file)."""
    buffer = io.BytesIO()
    segno.make(provisioning_uri(secret, username), error="m").save(
        buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title="动态验证码二维码"
    )
    return buffer.getvalue().decode()


def grouped(secret: str) -> str:
    """``JBSW Y3DP …``: easier to type by hand than 32 letters in a row."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
