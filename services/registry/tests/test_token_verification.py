"""Every way a bearer token can be wrong gets 401 problem+json; a token without the scope gets 403."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tefu_common.auth import Role, SigningKey, TokenIssuer, scopes_for

from tefu_common.testing import bearer

PROBLEM = "application/problem+json"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": "tefu", "sub": "forger", "aud": ["tefu-registry"], "iat": now, "exp": now + 600,
        "jti": "f" * 32, "role": "admin", "scope": "clients:manage", "region": "000000",
    }
    claims.update(overrides)
    return claims


async def _assert_401(client, headers: dict, detail_contains: str) -> None:
    # In English, the language an integrator debugging a token is likeliest to ask for.
    response = await client.get("/v1/whoami", headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Authentication required"
    assert detail_contains in body["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_valid_token_is_accepted(client, token):
    response = await client.get("/v1/whoami", headers=bearer(token(role="clerk", region="370306", subject="clerk-1")))
    assert response.status_code == 200
    body = response.json()
    assert (body["subject"], body["role"], body["region"], body["region_name"]) == ("clerk-1", "clerk", "370306", "周村区")
    assert body["institution"] is None
    assert "families:write" in body["scopes"]


async def test_machine_token_shows_its_institution(client, token):
    response = await client.get(
        "/v1/whoami",
        headers=bearer(token(role="hospital", region="440604", hospital="H440604001", audiences=("tefu-registry",))),
    )
    assert response.status_code == 200
    assert response.json()["institution"] == {"kind": "hospital", "id": "H440604001"}


async def test_missing_token(client):
    await _assert_401(client, {}, "bearer token is required")


async def test_garbage_token(client):
    await _assert_401(client, bearer("not-a-jwt"), "not a well-formed JWT")


async def test_expired_token(client, signing_key):
    # Expired well beyond the 30 s leeway.
    stale, _ = TokenIssuer(signing_key).issue(
        subject="old", role=Role.clerk, scopes=scopes_for(Role.clerk), region="370306",
        ttl_seconds=60, now=time.time() - 3600,
    )
    await _assert_401(client, bearer(stale), "expired")


async def test_wrongly_signed_token(client, signing_key):
    # Same kid as the real key, but signed by another private key: the signature must not verify.
    impostor = Ed25519PrivateKey.generate()
    forged = jwt.encode(_claims(), impostor, algorithm="EdDSA", headers={"kid": signing_key.kid})
    await _assert_401(client, bearer(forged), "signature does not verify")


async def test_token_signed_with_unknown_key(client):
    other = SigningKey.generate()
    forged = jwt.encode(_claims(), other.private_key, algorithm="EdDSA", headers={"kid": other.kid})
    await _assert_401(client, bearer(forged), "unknown key")


async def test_alg_none_is_refused(client, signing_key):
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': signing_key.kid})}.{_b64(_claims())}."
    await _assert_401(client, bearer(unsigned), "algorithm 'none' is not accepted")


async def test_hs256_with_the_public_key_is_refused(client, signing_key):
    # The classic confusion attack: HMAC "signed" with the published public key as the secret.
    public_key = base64.urlsafe_b64decode(signing_key.jwk["x"] + "==")
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": signing_key.kid})
    payload = _b64(_claims())
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(
        hmac.new(public_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    ).rstrip(b"=").decode()
    await _assert_401(client, bearer(f"{header}.{payload}.{signature}"), "algorithm 'HS256' is not accepted")


async def test_wrong_audience(client, token):
    only_payments = token(role="clerk", audiences=("tefu-payments",))
    await _assert_401(client, bearer(only_payments), "not meant for this service")


async def test_wrong_issuer(client, signing_key):
    claims = _claims(iss="somebody-else")
    forged = jwt.encode(claims, signing_key.private_key, algorithm="EdDSA", headers={"kid": signing_key.kid})
    await _assert_401(client, bearer(forged), "trusted issuer")


@pytest.mark.parametrize("claim", ["exp", "jti", "sub"])
async def test_missing_required_claim(client, signing_key, claim):
    claims = _claims()
    del claims[claim]
    forged = jwt.encode(claims, signing_key.private_key, algorithm="EdDSA", headers={"kid": signing_key.kid})
    await _assert_401(client, bearer(forged), claim)


async def test_hospital_token_without_its_hospital(client, signing_key):
    claims = _claims(role="hospital", scope="cards:lookup")
    forged = jwt.encode(claims, signing_key.private_key, algorithm="EdDSA", headers={"kid": signing_key.kid})
    await _assert_401(client, bearer(forged), "must name its hospital")


async def test_revoked_token(client, token):
    admin = bearer(token(role="admin", region="370306"))
    victim = token(role="clerk", region="370306")
    assert (await client.get("/v1/whoami", headers=bearer(victim))).status_code == 200
    response = await client.post("/oauth/revoke", data={"token": victim}, headers=admin)
    assert response.status_code == 200, response.text
    await _assert_401(client, bearer(victim), "revoked")
    listed = (await client.get("/oauth/revocations")).json()
    assert jwt.decode(victim, options={"verify_signature": False})["jti"] in listed["token_ids"]


async def test_valid_token_of_another_role_is_403(client, token):
    clerk = token(role="clerk", region="370306")
    response = await client.get("/v1/oauth-clients", headers=bearer(clerk))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "role-not-allowed"
    assert response.json()["detail"] == "角色 clerk 不能调用此接口；可以调用的角色：admin"


async def test_admin_token_narrowed_to_other_scopes_is_403(client, token):
    narrowed = token(role="admin", region="000000", scopes={"families:read"})
    response = await client.get("/v1/oauth-clients", headers=bearer(narrowed))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "clients:manage" in response.json()["detail"]
    assert response.json()["required_scopes"] == ["clients:manage"]
