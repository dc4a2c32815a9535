"""The HIS integrator's offline e-card check (docs/), run as written against e-cards of this service."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidSignature

from tefu_common.crypto_mode import CryptoMode
from tefu_common.signing import load_signer
from tefu_medical_priority.ecards.service import sign_ecard

ROOT = Path(__file__).resolve().parents[3]
MARKER = re.compile(r"<!-- offline-verify -->\n```python\n(.*?)```", re.S)


def readme_verifier():  # type: ignore[no-untyped-def]
    """The example marked ``<!-- offline-verify -->`` in the guides under docs/ (or the README)."""
    blocks = [block for path in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"] if path.is_file()
              for block in MARKER.findall(path.read_text(encoding="utf-8"))]
    assert len(blocks) == 1, "the HIS guide lost its offline verification example (<!-- offline-verify -->)"
    block = blocks[0]
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 - our own README, checked that it still works
    return namespace["verify_ecard"]


async def test_the_readme_example_verifies_an_ecard_with_the_published_keys_only(client, issue_card, auth):
    verify_ecard = readme_verifier()
    card_no = await issue_card("420102", name="李秀英")
    qr = (await client.get(f"/v1/cards/{card_no}/ecard", headers=auth(role="clerk", region="420102"))).json()["qr"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = verify_ecard(qr, jwks)
    assert claims["card_no"] == card_no and claims["name"] == "李*英"
    header, payload, signature = qr.split(".")
    with pytest.raises(Exception):
        verify_ecard(f"{header}.{payload}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}", jwks)


@pytest.mark.parametrize("mode", list(CryptoMode))
def test_the_readme_example_verifies_ecards_of_either_algorithm(tmp_path, mode):
    """Whatever TEFU_CRYPTO the tests run with, the example checks both kinds of key, and a key
    switch (Ed25519 then SM2, one JWKS) leaves the earlier codes verifiable."""
    verify_ecard = readme_verifier()
    card = SimpleNamespace(card_no="420102202600017", masked_name="李*英", region_code="420102",
                           issued_on=date.today(), valid_until=date.today() + timedelta(days=365))
    earlier = load_signer(tmp_path / "ecard-ed25519.pem", create=True, mode=CryptoMode.STANDARD)
    signer = load_signer(tmp_path / "ecard-ed25519.pem", create=True, mode=mode)
    assert (signer.algorithm, signer.jwks["keys"][0]["crv"]) == (
        ("SM2", "SM2") if mode is CryptoMode.SM else ("EdDSA", "Ed25519"))
    for qr in (sign_ecard(card, signer), sign_ecard(card, earlier)):
        assert verify_ecard(qr, signer.jwks)["card_no"] == card.card_no
        header, payload, signature = qr.split(".")
        altered = f"{header}.{payload}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}"
        with pytest.raises(InvalidSignature):
            verify_ecard(altered, signer.jwks)
