"""Machine clients: registration by an admin, the client credentials grant, revocation."""

from __future__ import annotations

import base64
import uuid

from tefu_common.testing import bearer


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _register(client, admin: str, **body) -> dict:
    response = await client.post("/v1/oauth-clients", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


async def test_hospital_client_gets_a_token_bound_to_its_hospital(client, token):
    admin = token(role="admin", region="440600")
    created = await _register(client, admin, client_id=_id("his"), role="hospital", region="440604", hospital="H440604001")
    assert created["scopes"] == ["cards:lookup", "visits:write"]
    assert created["audiences"] == ["tefu-medical-priority"]
    assert len(created["client_secret"]) >= 40

    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode()).decode()
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600
    assert issued["scope"] == "cards:lookup visits:write"

    # The token is for medical-priority only: the registry itself refuses it.
    assert (await client.get("/v1/whoami", headers=bearer(issued["access_token"]))).status_code == 401


async def test_form_credentials_scope_narrowing_and_audience(client, token):
    admin = token(role="admin", region="000000")
    created = await _register(client, admin, client_id=_id("svc"), role="service", region="000000")
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials", "client_id": created["client_id"],
            "client_secret": created["client_secret"], "scope": "families:read", "audience": "tefu-registry",
        },
    )
    assert response.status_code == 200, response.text
    whoami = await client.get("/v1/whoami", headers=bearer(response.json()["access_token"]))
    assert whoami.status_code == 200
    body = whoami.json()
    assert body["scopes"] == ["families:read"]
    assert body["subject"] == f"client:{created['client_id']}"
    assert body["client_id"] == created["client_id"]


async def test_wrong_secret_and_unknown_client_look_the_same(client, token):
    admin = token(role="admin", region="370306")
    created = await _register(client, admin, client_id=_id("bank"), role="agency", region="370306", agency="ABC-370306")
    wrong = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": created["client_id"], "client_secret": "nope"},
    )
    unknown = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "nope"}
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["error"] == "invalid_client"
        assert response.json()["code"] == "client-authentication-failed"
        assert response.json()["detail"] == "客户端认证失败"
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_unsupported_grant_and_scope_beyond_the_client(client, token):
    admin = token(role="admin", region="370306")
    created = await _register(client, admin, client_id=_id("his"), role="hospital", region="370306", hospital="H1")
    grant = await client.post("/oauth/token", data={"grant_type": "password"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    scope = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials", "client_id": created["client_id"],
            "client_secret": created["client_secret"], "scope": "cards:lookup clients:manage",
        },
    )
    assert scope.status_code == 400
    assert scope.json()["error"] == "invalid_scope"
    assert "clients:manage" in scope.json()["detail"]


async def test_registration_errors_name_the_field(client, token):
    admin = token(role="admin", region="370306")
    missing_hospital = await client.post(
        "/v1/oauth-clients", json={"client_id": _id("his"), "role": "hospital", "region": "370306"}, headers=bearer(admin)
    )
    assert missing_hospital.status_code == 422
    assert (missing_hospital.json()["code"], missing_hospital.json()["field"]) == ("institution-missing", "body.hospital")

    excess_scope = await client.post(
        "/v1/oauth-clients",
        json={"client_id": _id("his"), "role": "hospital", "region": "370306", "hospital": "H1", "scopes": ["clients:manage"]},
        headers=bearer(admin),
    )
    assert excess_scope.status_code == 422
    assert excess_scope.json()["code"] == "scope-not-allowed"
    assert excess_scope.json()["errors"][0]["detail"] == "hospital 角色不能持有这些权限范围：clients:manage"

    reserved = await client.post(
        "/v1/oauth-clients", json={"client_id": "console", "role": "service", "region": "370306"},
        headers=bearer(token(role="admin", region="000000"))
    )
    assert reserved.status_code == 422
    assert (reserved.json()["code"], reserved.json()["field"]) == ("client-id-reserved", "body.client_id")

    bad_region = await client.post(
        "/v1/oauth-clients", json={"client_id": _id("svc"), "role": "service", "region": "999999"}, headers=bearer(admin)
    )
    assert bad_region.status_code == 422
    assert (bad_region.json()["code"], bad_region.json()["field"]) == ("region-code-unknown", "body.region")


async def test_region_scoping_of_client_administration(client, token):
    zhoucun_admin = token(role="admin", region="370306")
    outside = await client.post(
        "/v1/oauth-clients",
        json={"client_id": _id("his"), "role": "hospital", "region": "420102", "hospital": "H1"},
        headers=bearer(zhoucun_admin),
    )
    assert outside.status_code == 422
    assert (outside.json()["code"], outside.json()["field"]) == ("region-outside-scope", "body.region")

    hubei_admin = token(role="admin", region="420000")
    hubei_client = await _register(client, hubei_admin, client_id=_id("his"), role="hospital", region="420102", hospital="H2")
    listed = (await client.get("/v1/oauth-clients", headers=bearer(zhoucun_admin))).json()
    assert listed == {"items": [], "next_cursor": None}
    mine = (await client.get("/v1/oauth-clients", headers=bearer(hubei_admin))).json()
    assert [c["client_id"] for c in mine["items"]] == [hubei_client["client_id"]]
    hidden = await client.get(f"/v1/oauth-clients/{hubei_client['client_id']}", headers=bearer(zhoucun_admin))
    assert hidden.status_code == 404
    seen = await client.get(f"/v1/oauth-clients/{hubei_client['client_id']}", headers=bearer(hubei_admin))
    assert seen.status_code == 200 and "client_secret" not in seen.json()


async def test_duplicate_client_is_a_conflict(client, token):
    admin = token(role="admin", region="000000")  # service clients: the whole country's admins
    client_id = _id("svc")
    await _register(client, admin, client_id=client_id, role="service", region="370306")
    again = await client.post(
        "/v1/oauth-clients", json={"client_id": client_id, "role": "service", "region": "370306"}, headers=bearer(admin)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "client-exists"


async def test_revoked_client_loses_its_tokens_and_gets_no_new_ones(client, token):
    admin = token(role="admin", region="000000")  # service clients: the whole country's admins
    created = await _register(client, admin, client_id=_id("svc"), role="service", region="370306")
    form = {"grant_type": "client_credentials", "client_id": created["client_id"], "client_secret": created["client_secret"]}
    issued = (await client.post("/oauth/token", data=form)).json()["access_token"]
    assert (await client.get("/v1/whoami", headers=bearer(issued))).status_code == 200

    revoked = await client.post(f"/v1/oauth-clients/{created['client_id']}/revoke", headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "test-admin"

    refused = await client.get("/v1/whoami", headers=bearer(issued))
    assert refused.status_code == 401
    assert refused.json()["code"] == "token-revoked"
    again = await client.post("/oauth/token", data=form, headers={"Accept-Language": "en"})
    assert again.status_code == 401
    assert (again.json()["code"], again.json()["detail"]) == ("client-revoked", "client has been revoked")
    listed = (await client.get("/oauth/revocations")).json()
    assert created["client_id"] in {c["client_id"] for c in listed["clients"]}


async def test_secret_rotation(client, token):
    admin = token(role="admin", region="000000")  # service clients: the whole country's admins
    created = await _register(client, admin, client_id=_id("svc"), role="service", region="370306")
    rotated = await client.post(f"/v1/oauth-clients/{created['client_id']}/secret", headers=bearer(admin))
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != created["client_secret"]
    form = {"grant_type": "client_credentials", "client_id": created["client_id"]}
    old = await client.post("/oauth/token", data={**form, "client_secret": created["client_secret"]})
    new = await client.post("/oauth/token", data={**form, "client_secret": new_secret})
    assert old.status_code == 401
    assert new.status_code == 200


async def test_secrets_are_stored_hashed(client, token, settings):
    from sqlalchemy import text

    from tefu_common.db import Database

    admin = token(role="admin", region="000000")  # service clients: the whole country's admins
    created = await _register(client, admin, client_id=_id("svc"), role="service", region="370306")
    database = Database(settings.database_url)
    try:
        async with database.engine.connect() as connection:
            stored = (
                await connection.execute(
                    text("SELECT secret_hash FROM oauth_client WHERE client_id = :id"), {"id": created["client_id"]}
                )
            ).scalar_one()
    finally:
        await database.dispose()
    assert stored.startswith("scrypt$") and created["client_secret"] not in stored


async def test_jwks_publishes_only_public_keys(client, signing_key):
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert signing_key.kid in {k["kid"] for k in keys}
    assert all(set(k) == {"kty", "crv", "x", "kid", "alg", "use"} for k in keys)


async def test_only_the_whole_countrys_admins_register_service_clients_and_it_is_logged(client, token):
    """A service client reads bank accounts and full ID numbers: a region's admin may not make one."""
    regional = token(role="admin", region="370306", subject="admin-zhoucun")
    attempted = _id("svc")
    refused = await client.post("/v1/oauth-clients", headers=bearer(regional),
                                json={"client_id": attempted, "role": "service", "region": "370306"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "service-client-national-only"
    national = token(role="admin", region="000000", subject="admin-national")
    made = await _register(client, national, client_id=_id("svc"), role="service", region="370306")
    log = (await client.get("/v1/security-log", params={"event": "client-registered"},
                            headers=bearer(token(role="admin", region="000000")))).json()["items"]
    assert {(e["actor"], e["outcome"], e["username"]) for e in log} >= {
        ("admin-zhoucun", "refused", attempted), ("admin-national", "success", made["client_id"])}


async def test_guessing_a_secret_is_stopped_and_every_failure_is_logged(client, token):
    admin = token(role="admin", region="000000")
    created = await _register(client, admin, client_id=_id("svc"), role="service", region="370306")
    form = {"grant_type": "client_credentials", "client_id": created["client_id"]}
    for attempt in range(10):
        wrong = await client.post("/oauth/token", data={**form, "client_secret": f"guess-{attempt}"})
        assert wrong.status_code == 401
    right = await client.post("/oauth/token", data={**form, "client_secret": created["client_secret"]})
    assert right.status_code == 429  # even the right secret, until the window has passed
    assert right.json()["code"] == "too-many-failures" and int(right.headers["retry-after"]) > 0
    log = (await client.get("/v1/security-log", params={"event": "client-token"},
                            headers=bearer(admin))).json()["items"]
    assert sum(1 for e in log if e["username"] == created["client_id"] and e["outcome"] == "failure") == 10
    # Another client is not held back by this one's guesser (the address limit is higher).
    other = await _register(client, admin, client_id=_id("svc"), role="service", region="370306")
    ok = await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": other["client_id"],
                                                 "client_secret": other["client_secret"]})
    assert ok.status_code == 200


async def test_an_unknown_client_is_refused_like_a_wrong_secret_and_logged(client, token):
    unknown = await client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "nobody-here",
                                                      "client_secret": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (401, "client-authentication-failed")
    log = (await client.get("/v1/security-log", params={"event": "client-token"},
                            headers=bearer(token(role="admin", region="000000")))).json()["items"]
    assert [(e["username"], e["outcome"], e["detail"]) for e in log] == [("nobody-here", "failure", "unknown-client")]
