"""Tables of the token issuer: registered machine clients and revoked tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
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
