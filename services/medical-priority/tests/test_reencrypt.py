"""``python -m tefu_common.reencrypt --service medical-priority``, the command as an operator runs it:
the cards go to the other TEFU_CRYPTO mode's algorithms and back, and the desk still finds them."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from tefu_common.crypto_mode import CryptoMode, crypto_mode
from tefu_common.db import Database
from tefu_common.field_crypto import TOKEN_VERSIONS, BlindIndex
from tefu_common.settings import DEV_BLIND_INDEX_KEY
from tefu_medical_priority.cards.service import ID_CONTEXT

from .conftest import id_number


def _reencrypt(database_url: str, mode: CryptoMode) -> str:
    env = {**os.environ, "TEFU_CRYPTO": mode.value, "TEFU_MEDICAL_PRIORITY_DATABASE_URL": database_url,
           "TEFU_MEDICAL_PRIORITY_ENVIRONMENT": "test"}
    done = subprocess.run([sys.executable, "-m", "tefu_common.reencrypt", "--service", "medical-priority", "--chunk", "1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _stored(database_url: str) -> tuple[str, str]:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            row = (await connection.execute(text("SELECT id_number, id_number_index FROM card ORDER BY id LIMIT 1"))).one()
    finally:
        await database.dispose()
    return row[0], row[1]


async def test_the_command_moves_the_cards_to_the_other_mode_and_back(client, issue_card, hospital, desk, database_url):
    await hospital()
    holder_id = id_number("420102", "1966-04-05", 778)
    card_no = await issue_card(name="王建国", birth="1966-04-05", sex="male", id_no=holder_id)
    await issue_card(name="张桂兰")
    mode = crypto_mode()
    other = CryptoMode.SM if mode is CryptoMode.STANDARD else CryptoMode.STANDARD

    out = _reencrypt(database_url, other)
    assert f"TEFU_CRYPTO={other.value}" in out and "card: 2 rows read, 4 fields re-encrypted, 4 indexes rewritten" in out
    token, index = await _stored(database_url)
    assert token.startswith(f"{TOKEN_VERSIONS[other]}.")
    expected = BlindIndex.from_base64(DEV_BLIND_INDEX_KEY, key_id="bi-1", mode=other).compute(holder_id, context=ID_CONTEXT)
    assert index == expected
    assert "card: 2 rows read, 0 fields re-encrypted, 0 indexes rewritten" in _reencrypt(database_url, other)

    _reencrypt(database_url, mode)  # and back: the desk, in the tests' mode, finds the holder again
    assert (await _stored(database_url))[0].startswith(f"{TOKEN_VERSIONS[mode]}.")
    found = await client.post("/v1/cards/lookup", json={"name": "王建国", "id_number": holder_id}, headers=desk())
    assert found.status_code == 200, found.text
    assert found.json()["card_no"] == card_no
