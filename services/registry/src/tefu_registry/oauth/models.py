"""Tables of the token issuer: machine clients, revoked tokens, and the codes and refresh tokens of people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_registry.accounts import models as _accounts  # noqa: F401  (the accounts the codes and tokens belong to)
from tefu_registry.database import Base


class OAuthClient(Base):
    """A machine client (hospital HIS, agency bank, another service) and what it is bound to."""

    __tablename__ = "oauth_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, a subset of the role's scopes
    audiences: Mapped[str] = mapped_column(Text)  # space-separated service audiences
    region: Mapped[str] = mapped_column(String(12))
    institution_kind: Mapped[str | None] = mapped_column(String(16))
    institution_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(128))


class RevokedToken(Base):
    """A single token revoked before its expiry; kept until it would have expired anyway."""

    __tablename__ = "revoked_token"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str] = mapped_column(String(128))


class AuthorizationCode(Base):
    """A code of the authorization-code grant: single use, short-lived, bound to its request.

    Only a SHA-256 of the code is stored, so a copy of the table gives nobody a code to use.
    """

    __tablename__ = "authorization_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The refresh-token family the code was exchanged for: revoked if the code is presented again.
    family_id: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    """A refresh token of a person's sign-in; rotated on every use, stored as a SHA-256 only.

    Every token of one sign-in shares a ``family_id``. A token used twice means a copy exists
    somewhere: the whole family is revoked (RFC 9700 §4.14), and the person signs in again.
    """

    __tablename__ = "refresh_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    access_token_id: Mapped[str | None] = mapped_column(String(64))
    access_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    generation: Mapped[int] = mapped_column(Integer, default=0)
