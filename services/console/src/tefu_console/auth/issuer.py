"""The issuer as the console speaks to it: OAuth 2.0 authorization code + PKCE (RFC 6749, 7636, 7009).

The browser goes to the issuer's ``/oauth/authorize`` (``issuer_url``: the address the browser
knows); the code comes back to ``/auth/callback`` and is exchanged here, server to server (the
registry's address as this server reaches it), so the tokens never reach the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from tefu_common.upstream import Upstream, UpstreamUnavailable


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Identity:
    subject: str
    role: str
    region: str
    region_name: str | None
    scopes: frozenset[str]
    display_name: str | None


class SignInFailed(Exception):
    """The issuer refused the code or the refresh token; its reason in Chinese when it gave one."""


class Issuer:
    def __init__(self, *, upstream: Upstream, issuer_url: str, client_id: str, redirect_uri: str) -> None:
        self.upstream = upstream  # the registry, as this server reaches it
        self.issuer_url = issuer_url.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri

    def authorize_url(self, *, state: str, challenge: str) -> str:
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                           "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
        return f"{self.issuer_url}/oauth/authorize?{query}"

    async def _post(self, path: str, data: dict[str, str]) -> httpx.Response:
        try:
            return await self.upstream.client.post(path, data=data)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"登录服务暂时无法访问（{type(exc).__name__}），请稍后重试") from None

    async def _tokens(self, data: dict[str, str]) -> Tokens:
        response = await self._post("/oauth/token", {**data, "client_id": self.client_id})
        if response.status_code >= 500 or response.status_code == 429:
            raise UpstreamUnavailable(f"登录服务暂时无法访问（HTTP {response.status_code}），请稍后重试")
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            raise SignInFailed(str(body.get("error_description") or body.get("detail") or "登录未完成，请重新登录"))
        expires_in = float(body.get("expires_in") or 300)
        return Tokens(str(body["access_token"]), body.get("refresh_token"),
                      datetime.now(timezone.utc) + timedelta(seconds=expires_in))

    async def exchange(self, code: str, verifier: str) -> Tokens:
        return await self._tokens({"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": self.redirect_uri, "code_verifier": verifier})

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._tokens({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, token: str, hint: str) -> None:
        """Sign-out: best effort; the session ends here whatever the issuer answers."""
        try:
            await self._post("/oauth/revoke", {"token": token, "token_type_hint": hint, "client_id": self.client_id})
        except UpstreamUnavailable:
            pass

    async def identity(self, access_token: str) -> Identity:
        """Who the token stands for, as the issuer's services read it (``/v1/whoami``), and the
        display name from the person's account when the issuer keeps accounts."""
        headers = {"Authorization": f"Bearer {access_token}"}
        try:
            who = await self.upstream.client.get("/v1/whoami", headers=headers)
            me = await self.upstream.client.get("/v1/accounts/me", headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"登录服务暂时无法访问（{type(exc).__name__}），请稍后重试") from None
        if who.status_code != 200:
            raise SignInFailed("登录服务没有认可这次登录，请重新登录")
        body = _json(who)
        account = _json(me) if me.status_code == 200 else {}
        return Identity(subject=str(body["subject"]), role=str(body["role"]), region=str(body["region"]),
                        region_name=body.get("region_name"), scopes=frozenset(body.get("scopes") or []),
                        display_name=account.get("display_name"))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
