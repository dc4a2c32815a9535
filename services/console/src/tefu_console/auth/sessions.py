"""Server-side sessions: the browser holds a random cookie, this table holds everything else.

A session is created when a sign-in starts (it carries the OAuth ``state`` and the PKCE
verifier), and replaced by a new one, under a new cookie, once the person is signed in, so a
cookie planted before sign-in is worth nothing after it. A session unused for the idle time ends;
an access token about to expire is renewed with the refresh token, and a refusal ends the session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_console.auth.issuer import Issuer, SignInFailed
from tefu_console.auth.models import ConsoleSession
from tefu_console.auth.pkce import challenge_of, new_verifier
from tefu_console.problems import SignInRequired

COOKIE = "tefu_console_session"
RENEW_BEFORE = timedelta(seconds=60)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    """The signed-in person as the pages see them. The token is for calls to the services only."""

    session_key: str
    csrf_token: str
    subject: str
    display_name: str
    role: str
    region: str
    region_name: str
    scopes: frozenset[str]
    access_token: str

    def can(self, *scopes: str) -> bool:
        return any(scope in self.scopes for scope in scopes)

    @property
    def manages_accounts(self) -> bool:
        return self.role == "admin" and self.can("accounts:manage", "clients:manage")


@dataclass(frozen=True)
class SignInStart:
    cookie: str
    state: str
    challenge: str


class SessionStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], issuer: Issuer, *, idle: timedelta) -> None:
        self.sessionmaker = sessionmaker
        self.issuer = issuer
        self.idle = idle

    async def start_sign_in(self, return_to: str) -> SignInStart:
        await self.sweep()  # each sign-in clears away the sessions that have run out
        cookie, state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(24), new_verifier()
        now = _now()
        async with self.sessionmaker() as db:
            db.add(ConsoleSession(id=_key(cookie), csrf_token=secrets.token_urlsafe(32), created_at=now,
                                  last_seen_at=now, pending_state=state, pending_verifier=verifier,
                                  return_to=return_to))
            await db.commit()
        return SignInStart(cookie, state, challenge_of(verifier))

    async def finish_sign_in(self, cookie: str | None, state: str, code: str) -> tuple[str, str]:
        """The new cookie and where to go, once the code is exchanged; SignInFailed otherwise."""
        async with self.sessionmaker() as db:
            pending = await db.get(ConsoleSession, _key(cookie)) if cookie else None
            if (pending is None or not pending.pending_state or not pending.pending_verifier
                    or not secrets.compare_digest(pending.pending_state, state) or self._idle(pending)):
                raise SignInFailed("登录请求已失效（可能已超时或在其他窗口完成），请重新登录")
            verifier, return_to = pending.pending_verifier, pending.return_to or "/"
            await db.delete(pending)  # single use, whatever happens next
            await db.commit()
        tokens = await self.issuer.exchange(code, verifier)
        who = await self.issuer.identity(tokens.access_token)
        fresh, now = secrets.token_urlsafe(32), _now()
        async with self.sessionmaker() as db:
            db.add(ConsoleSession(
                id=_key(fresh), csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
                subject=who.subject, display_name=who.display_name or who.subject, role=who.role, region=who.region,
                region_name=who.region_name or who.region, scopes=" ".join(sorted(who.scopes)),
                access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                access_expires_at=tokens.expires_at))
            await db.commit()
        return fresh, return_to

    def _idle(self, row: ConsoleSession) -> bool:
        return _now() - row.last_seen_at > self.idle

    async def person(self, cookie: str | None, return_to: str) -> Person:
        """The signed-in person of this cookie; SignInRequired (expired or not) otherwise."""
        if not cookie:
            raise SignInRequired(return_to)
        async with self.sessionmaker() as db:
            row = await db.get(ConsoleSession, _key(cookie))
            if row is None or not row.access_token:
                raise SignInRequired(return_to)
            if self._idle(row):
                await db.delete(row)
                await db.commit()
                raise SignInRequired(return_to, expired=True)
            if row.access_expires_at and row.access_expires_at - RENEW_BEFORE < _now():
                await self._renew(db, row, return_to)
            row.last_seen_at = _now()
            await db.commit()
            return Person(session_key=row.id, csrf_token=row.csrf_token, subject=row.subject or "",
                          display_name=row.display_name or row.subject or "", role=row.role or "",
                          region=row.region or "", region_name=row.region_name or "",
                          scopes=frozenset((row.scopes or "").split()), access_token=row.access_token)

    async def _renew(self, db: AsyncSession, row: ConsoleSession, return_to: str) -> None:
        try:
            if not row.refresh_token:
                raise SignInFailed("no refresh token")
            tokens = await self.issuer.refresh(row.refresh_token)
        except SignInFailed:
            await db.delete(row)
            await db.commit()
            raise SignInRequired(return_to, expired=True) from None
        row.access_token, row.access_expires_at = tokens.access_token, tokens.expires_at
        row.refresh_token = tokens.refresh_token or row.refresh_token

    async def end(self, session_key: str) -> None:
        """Sign-out: the tokens are revoked at the issuer and the row is gone."""
        async with self.sessionmaker() as db:
            row = await db.get(ConsoleSession, session_key)
            if row is None:
                return
            tokens = [(row.refresh_token, "refresh_token"), (row.access_token, "access_token")]
            await db.delete(row)
            await db.commit()
        for token, hint in tokens:
            if token:
                await self.issuer.revoke(token, hint)

    async def sweep(self) -> int:
        """Remove the sessions idle past the timeout."""
        async with self.sessionmaker() as db:
            result = await db.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at < _now() - self.idle))
            await db.commit()
            return result.rowcount or 0
