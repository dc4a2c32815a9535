"""E-cards: a QR payload any hospital verifies offline with the published keys, and online with revocation."""

from __future__ import annotations

import base64
import json

import gmalg
import jwt
import pytest

from tefu_common.auth import write_key_files
from tefu_common.auth.keys import document_algorithm
from tefu_common.testing import app_client

# The JWK of an e-card key in the suite's mode (TEFU_CRYPTO): Ed25519, or SM2.
CURVE = {"ed25519": "Ed25519", "sm2": "SM2"}[document_algorithm()]


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def offline_verify(qr: str, jwks: dict) -> dict:
    """What a hospital's own code does: pick the key by kid from the JWKS, verify, read the claims
    (EdDSA with a JOSE library; SM2, which JOSE libraries lack, with an SM2 library directly)."""
    header = jwt.get_unverified_header(qr)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    if key["crv"] == "Ed25519":
        return jwt.decode(qr, jwt.PyJWK(key).key, algorithms=["EdDSA"])
    assert header["alg"] == "SM2" and key["kty"] == "EC"
    signed, _, signature = qr.rpartition(".")
    raw = _b64(signature)
    sm2 = gmalg.SM2(uid=b"1234567812345678", pk=b"\x04" + _b64(key["x"]) + _b64(key["y"]))
    assert len(raw) == 64 and sm2.verify(signed.encode(), raw[:32], raw[32:]), "the SM2 signature does not verify"
    return json.loads(_b64(signed.split(".")[1]))


async def test_an_ecard_verifies_offline_with_the_published_keys(client, issue_card, auth):
    card_no = await issue_card("420102", name="李秀英")
    clerk = auth(role="clerk", region="420102")
    ecard = (await client.get(f"/v1/cards/{card_no}/ecard", headers=clerk)).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = offline_verify(ecard["qr"], jwks)
    assert claims["card_no"] == card_no and claims["name"] == "李*英" and claims["region"] == "420102"
    assert claims["valid_until"] == ecard["valid_until"] and claims["issued_on"]
    assert "李秀英" not in base64.urlsafe_b64decode(ecard["qr"].split(".")[1] + "==").decode()
    assert jwks["keys"][0]["kid"] == ecard["kid"] and jwks["keys"][0]["crv"] == CURVE


async def test_the_qr_code_comes_as_an_image_too(client, issue_card, auth):
    card_no = await issue_card("420102")
    clerk = auth(role="clerk", region="420102")
    svg = await client.get(f"/v1/cards/{card_no}/ecard", params={"format": "svg"}, headers=clerk)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    png = await client.get(f"/v1/cards/{card_no}/ecard", params={"format": "png"}, headers=clerk)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


async def test_online_verification_checks_the_signature_and_the_revocation(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card("420102")
    clerk = auth(role="clerk", region="420102")
    qr = (await client.get(f"/v1/cards/{card_no}/ecard", headers=clerk)).json()["qr"]
    ok = await client.post("/v1/cards/verify", json={"qr": qr}, headers=desk())
    assert ok.status_code == 200 and ok.json()["valid"] is True and ok.json()["card_no"] == card_no

    header, payload, signature = qr.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["card_no"] = card_no[:-1] + ("0" if card_no[-1] != "0" else "1")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused = await client.post("/v1/cards/verify", json={"qr": f"{header}.{forged}.{signature}"}, headers=desk())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.qr" and refused.json()["code"] == "ecard-signature"
    assert "签名" in refused.json()["errors"][0]["detail"]
    garbage = await client.post("/v1/cards/verify", json={"qr": "not-a-qr"}, headers=desk())
    assert garbage.status_code == 422
    assert garbage.json()["code"] == "ecard-format"
    both = await client.post("/v1/cards/verify", json={"qr": qr, "card_no": card_no}, headers=desk())
    assert both.status_code == 422
    assert both.json()["code"] == "card-or-qr"
    by_number = await client.post("/v1/cards/verify", json={"card_no": card_no}, headers=desk())
    assert by_number.status_code == 200 and by_number.json()["valid"] is True

    await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "lost", "note": "挂失"}, headers=clerk)
    after = (await client.post("/v1/cards/verify", json={"qr": qr}, headers=desk())).json()
    assert after["valid"] is False and after["reason"] == "reported_lost"
    refused = await client.get(f"/v1/cards/{card_no}/ecard", headers=clerk)
    assert refused.status_code == 409
    assert refused.json()["code"] == "card-revoked"


async def test_after_a_key_rotation_old_qr_codes_still_verify_and_new_ones_use_the_new_key(
        client, issue_card, hospital, desk, auth, settings, service_under_test, ecard_keys):
    await hospital()
    card_no = await issue_card("420102")
    clerk = auth(role="clerk", region="420102")
    old = (await client.get(f"/v1/cards/{card_no}/ecard", headers=clerk)).json()
    # What `tefu-keys rotate --name ecard` does (a key of the TEFU_CRYPTO mode's algorithm).
    rotated = write_key_files(ecard_keys, rotate=True, name="ecard", algorithm=document_algorithm())
    async with app_client(service_under_test.create_app(settings, configure_logs=False)) as restarted:
        new = (await restarted.get(f"/v1/cards/{card_no}/ecard", headers=clerk)).json()
        assert new["kid"] == rotated.kid != old["kid"]
        jwks = (await restarted.get("/.well-known/jwks.json")).json()
        assert {k["kid"] for k in jwks["keys"]} >= {old["kid"], new["kid"]}
        for qr in (old["qr"], new["qr"]):
            assert offline_verify(qr, jwks)["card_no"] == card_no
            assert (await restarted.post("/v1/cards/verify", json={"qr": qr}, headers=desk())).json()["valid"]


@pytest.mark.parametrize("role", ["hospital", "auditor", "agency"])
async def test_only_clerks_make_ecards(client, issue_card, auth, role):
    card_no = await issue_card("420102")
    extra = {"hospital": "H1"} if role == "hospital" else {"agency": "A1"} if role == "agency" else {}
    response = await client.get(f"/v1/cards/{card_no}/ecard", headers=auth(role=role, region="420102", **extra))
    assert response.status_code == 403


@pytest.mark.parametrize("alg", ["none", "HS256", ["EdDSA"], None])
async def test_a_qr_naming_another_algorithm_is_refused_before_any_key_is_tried(client, issue_card, hospital, desk, auth, alg):
    await hospital()
    card_no = await issue_card("420102")
    qr = (await client.get(f"/v1/cards/{card_no}/ecard", headers=auth(role="clerk", region="420102"))).json()["qr"]
    header, payload, signature = qr.split(".")
    changed = {**json.loads(_b64(header)), "alg": alg}
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    refused = await client.post("/v1/cards/verify", json={"qr": f"{forged}.{payload}.{signature}"}, headers=desk())
    assert refused.status_code == 422 and refused.json()["code"] == "ecard-type", refused.text
    # The other published algorithm, with this key's signature: the key's own algorithm decides.
    other = "EdDSA" if json.loads(_b64(header))["alg"] == "SM2" else "SM2"
    swapped = base64.urlsafe_b64encode(json.dumps({**json.loads(_b64(header)), "alg": other}).encode()).rstrip(b"=").decode()
    answer = await client.post("/v1/cards/verify", json={"qr": f"{swapped}.{payload}.{signature}"}, headers=desk())
    assert answer.status_code == 422 and answer.json()["code"] in ("ecard-type", "ecard-signature")
