"""Driving the sign-in page and the token endpoint as the console does (an HTTP client, no browser)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from tefu_common.testing import bearer

REDIRECT_URI = "http://127.0.0.1:8000/auth/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class SignIn:
    """One sign-in: its PKCE pair and state, and the page last shown."""

    client: httpx.AsyncClient
    verifier: str
    challenge: str
    state: str
    redirect_uri: str = REDIRECT_URI
    page: httpx.Response | None = None

    def params(self) -> dict[str, str]:
        return {"response_type": "code", "client_id": "console", "redirect_uri": self.redirect_uri, "state": self.state,
                "code_challenge": self.challenge, "code_challenge_method": "S256"}

    def hidden(self, name: str) -> str:
        assert self.page is not None
        found = re.search(rf'name="{name}" value="([^"]*)"', self.page.text)
        assert found, f"no hidden {name} on the page"
        return found.group(1)

    def alert(self) -> str | None:
        assert self.page is not None
        found = re.search(r'role="alert">([^<]*)<', self.page.text)
        return found.group(1) if found else None

    def totp_secret(self) -> str:
        assert self.page is not None
        found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', self.page.text)
        assert found, "no TOTP secret on the page"
        return found.group(1).replace(" ", "")

    async def open(self) -> httpx.Response:
        self.page = await self.client.get("/oauth/authorize", params=self.params())
        return self.page

    async def submit(self, **fields: str) -> httpx.Response:
        body = {**self.params(), "csrf_token": self.hidden("csrf_token"), **fields}
        response = await self.client.post("/oauth/authorize", data=body)
        if response.status_code != 303:
            self.page = response
        return response

    def code_of(self, response: httpx.Response) -> str:
        assert response.status_code == 303, response.text
        location = urlsplit(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.redirect_uri
        query = parse_qs(location.query)
        assert query["state"] == [self.state]
        return query["code"][0]

    async def exchange(self, code: str, **overrides: str) -> httpx.Response:
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "client_id": "console", "code_verifier": self.verifier, **overrides}
        return await self.client.post("/oauth/token", data=body)


def start(client: httpx.AsyncClient) -> SignIn:
    verifier, challenge = pkce()
    return SignIn(client, verifier, challenge, state=secrets.token_urlsafe(8))


async def sign_in(client: httpx.AsyncClient, username: str, password: str, totp_secret: str | None = None) -> dict:
    """The whole flow, successful: the token answer."""
    flow = start(client)
    await flow.open()
    fields = {"username": username, "password": password}
    if totp_secret:
        fields["totp"] = pyotp.TOTP(totp_secret).now()
    response = await flow.submit(**fields)
    exchanged = await flow.exchange(flow.code_of(response))
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()


async def create_account(client: httpx.AsyncClient, admin_token: str, **body) -> dict:
    body.setdefault("display_name", body["username"])
    response = await client.post("/v1/accounts", json=body, headers=bearer(admin_token))
    assert response.status_code == 201, response.text
    return response.json()
