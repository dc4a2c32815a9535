"""Tables of people's accounts: the accounts, the lock-outs of client addresses, the security log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_common.field_crypto import EncryptedString
from tefu_registry.database import Base


class Account(Base):
    """A person who signs in: a clerk, an approver, an auditor, an administrator.

    The password is kept only as an Argon2id hash. The TOTP secret is encrypted at rest like any
    other secret of the register; ``totp_confirmed`` is false while an enrolment is pending (the
    secret was shown but no code from it has been entered yet).
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(12), index=True)
    institution_kind: Mapped[str | None] = mapped_column(String(16))
    institution_id: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString("account.totp_secret"))
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the 30-second step of the last code accepted
    # Failures in the current window (15 minutes from the first one); reset by a success or an unlock.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Refresh tokens issued at or before this are refused (a disabled account, a new password…).
    sessions_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SignInAddress(Base):
    """Failed sign-ins from one client address, whatever the usernames tried (guessing across accounts)."""

    __tablename__ = "sign_in_address"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SecurityLogEntry(Base):
    """One sign-in, failure, lock, unlock or administrator action: who, when, from where, what came of it.

    Never holds a password or a TOTP code; ``detail`` is a short code (``wrong-password``), and
    ``changes`` names the fields an administrator changed, not their secret values.
    """

    __tablename__ = "security_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    # The region of the account concerned (of the actor when no account is), for scoping the log.
    region: Mapped[str] = mapped_column(String(12), index=True)
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
