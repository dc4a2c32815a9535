"""The README's offline e-card check, run as written against e-cards of this service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import bearer

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_verifier():  # type: ignore[no-untyped-def]
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- offline-verify -->\n```python\n(.*?)```", text, re.S)
    assert block, "the README lost its offline verification example"
    namespace: dict = {}
    exec(block.group(1), namespace)  # noqa: S102 - our own README, checked that it still works
    return namespace["verify_ecard"]


async def test_the_readme_example_verifies_an_ecard_with_the_published_keys_only(client, issue_card, token):
    verify_ecard = readme_verifier()
    card_no = await issue_card("420102", name="李秀英")
    qr = (await client.get(f"/v1/cards/{card_no}/ecard", headers=bearer(token(role="clerk", region="420102")))).json()["qr"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = verify_ecard(qr, jwks)
    assert claims["card_no"] == card_no and claims["name"] == "李*英"
    header, payload, signature = qr.split(".")
    with pytest.raises(Exception):
        verify_ecard(f"{header}.{payload}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}", jwks)
