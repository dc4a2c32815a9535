"""Switching TEFU_CRYPTO on a register that holds data: ``tefu_common.reencrypt`` re-encrypts every
field and recomputes every blind index, after which the families read back as they were and are
found by every search; run again, it changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tefu_common.app import configure_encryption
from tefu_common.crypto_mode import CryptoMode
from tefu_common.db import create_engine
from tefu_common.field_crypto import TOKEN_VERSIONS, EncryptedString, get_field_cipher
from tefu_common.reencrypt import reencrypt
from tefu_common.testing import app_client, bearer, migrated_database, mint_token
from tefu_registry.blind_indexes import BLIND_INDEXES
from tefu_registry.main import create_app
from tefu_registry.models import Base
from tefu_registry.settings import RegistrySettings

from .builders import family_body, id_number

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
MOTHER_ID = id_number("370306", date(1966, 4, 12), "female", 7)


async def _tokens(url: str) -> dict[str, list[str]]:
    """Every stored field token, by table.column, as the database holds it."""
    engine = create_engine(url)
    found: dict[str, list[str]] = {}
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                for column in (c for c in table.columns if isinstance(c.type, EncryptedString)):
                    rows = await connection.execute(sa.select(sa.type_coerce(column, sa.Text)).where(column.is_not(None)))
                    found[f"{table.name}.{column.name}"] = [row[0] for row in rows]
    finally:
        await engine.dispose()
    return found


async def _reencrypt(url: str) -> dict:
    engine = create_engine(url)
    try:
        return await reencrypt(engine, Base.metadata, BLIND_INDEXES, chunk=2)  # several chunks of a few rows
    finally:
        await engine.dispose()


@pytest.mark.parametrize("before, after", [(CryptoMode.STANDARD, CryptoMode.SM), (CryptoMode.SM, CryptoMode.STANDARD)])
async def test_a_switch_of_mode_reencrypts_the_register_and_keeps_it_searchable(
        tmp_path, keys_dir, signing_key, monkeypatch, before, after):
    values = dict(environment="test", auth={"jwks_file": keys_dir / "issuer-jwks.json"},
                  signing_key_file=keys_dir / "issuer-ed25519.pem")
    clerk = bearer(mint_token(signing_key, role="clerk", region="370306"))
    try:
        with migrated_database("registry_reencrypt", tmp_path, ALEMBIC_INI) as url:
            settings = RegistrySettings(database_url=url, **values)

            async def searches() -> dict[str, list[int]]:
                async with app_client(create_app(settings, configure_logs=False)) as client:
                    shown = (await client.get(f"/v1/families/{family_id}", headers=clerk)).json()
                    found = {}
                    for name, params in {"id_number": {"id_number": MOTHER_ID}, "name": {"name": "欧阳娜娜"},
                                         "name_contains": {"name_contains": "娜娜"},
                                         "id_number_tail": {"id_number_tail": MOTHER_ID[-6:]}}.items():
                        page = await client.get("/v1/families", params=params, headers=clerk)
                        assert page.status_code == 200, page.text
                        found[name] = [f["id"] for f in page.json()["items"]]
                    return {"shown": shown, **found}

            monkeypatch.setenv("TEFU_CRYPTO", before.value)
            body = family_body("370306")
            body["mother"].update(name="欧阳娜娜", id_number=MOTHER_ID)
            body["mother"]["bank_account"]["holder"] = "欧阳娜娜"
            async with app_client(create_app(settings, configure_logs=False)) as client:
                created = await client.post("/v1/families", json=body, headers=clerk)
                assert created.status_code == 201, created.text
                family_id = created.json()["id"]
                other = await client.post("/v1/families", json=family_body("370306"), headers=clerk)
                assert other.status_code == 201, other.text
            as_written = await searches()
            assert {k: v for k, v in as_written.items() if k != "shown"} == {
                "id_number": [family_id], "name": [family_id], "name_contains": [family_id], "id_number_tail": [family_id]}
            written = await _tokens(url)
            assert written["member.name"] and all(t.startswith(f"{TOKEN_VERSIONS[before]}.")
                                                  for tokens in written.values() for t in tokens)

            monkeypatch.setenv("TEFU_CRYPTO", after.value)
            # Started in the new mode without the step: the old fields still read, but the indexes
            # are of the other HMAC, so the searches find nothing. Hence: reencrypt, service stopped.
            assert (await searches())["id_number"] == []
            configure_encryption(settings)
            done = await _reencrypt(url)
            assert done["member"].fields >= 6 and done["member"].indexes >= 6 and done["family"].fields == 2
            rewritten = await _tokens(url)
            assert {k: len(v) for k, v in rewritten.items()} == {k: len(v) for k, v in written.items()}
            assert all(t.startswith(f"{TOKEN_VERSIONS[after]}.") for tokens in rewritten.values() for t in tokens)
            cipher = get_field_cipher()
            contexts = {f"{t.name}.{c.name}": c.type.context for t in Base.metadata.sorted_tables
                        for c in t.columns if isinstance(c.type, EncryptedString)}
            for column, tokens in written.items():  # the same values, under the other algorithm
                assert sorted(cipher.decrypt(t, context=contexts[column]) for t in tokens) == \
                    sorted(cipher.decrypt(t, context=contexts[column]) for t in rewritten[column])
            assert await searches() == as_written

            again = await _reencrypt(url)  # idempotent: nothing left to change
            assert all(c.fields == 0 and c.indexes == 0 for c in again.values())
            assert await _tokens(url) == rewritten
    finally:
        monkeypatch.undo()
        configure_encryption(RegistrySettings(**values))  # the other tests' mode, process-wide
