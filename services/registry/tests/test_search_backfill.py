"""Migration 0005 gives the members registered before it their name grams and ID-tail index."""

from __future__ import annotations

import concurrent.futures
from datetime import date, datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from tefu_common.app import configure_encryption
from tefu_common.db import create_engine
from tefu_common.field_crypto import get_field_cipher
from tefu_common.migrations import alembic_config, upgrade
from tefu_common.testing import app_client, bearer, mint_token, scratch_database, schema_drift
from tefu_registry.families.indexes import id_number_index, name_index
from tefu_registry.main import create_app
from tefu_registry.models import Base
from tefu_registry.settings import RegistrySettings

from .builders import id_number

SERVICE = Path(__file__).resolve().parents[1]
ALEMBIC_INI = SERVICE / "alembic.ini"
# More members than the migration reads in one chunk, the one searched for last.
FILLER_FAMILIES = 700

family = sa.table("family", *(sa.column(c) for c in (
    "id", "region_code", "registered_region_code", "hukou_type", "special_family", "created_at", "created_by",
    "updated_at", "version")))
member = sa.table("member", *(sa.column(c) for c in (
    "family_id", "role", "name", "name_index", "id_number", "id_number_index", "id_number_last4", "adopted",
    "in_resident_pension")))


def _member(family_id: int, role: str, name: str, number: str | None = None) -> dict:
    cipher = get_field_cipher()
    return {"family_id": family_id, "role": role, "name": cipher.encrypt(name, context="member.name"),
            "name_index": name_index(name),
            "id_number": cipher.encrypt(number, context="member.id_number") if number else None,
            "id_number_index": id_number_index(number) if number else None,
            "id_number_last4": number[-4:] if number else None, "adopted": False, "in_resident_pension": False}


async def _register_before_0005(url: str, mother_id: str) -> int:
    """Families written as the register stood at 0004 (no grams, no tail index); the id of the last."""
    now = datetime.now(timezone.utc)
    last = FILLER_FAMILIES + 1
    families = [{"id": i, "region_code": "370306", "registered_region_code": "370306", "hukou_type": "rural",
                 "special_family": False, "created_at": now, "created_by": "before-0005", "updated_at": now,
                 "version": 1} for i in range(1, last + 1)]
    members = [m for i in range(1, last) for m in (_member(i, "mother", "李秀英"), _member(i, "father", "王建国"),
                                                   _member(i, "child", "王小明"))]
    members += [_member(last, "mother", "欧阳娜娜", mother_id), _member(last, "child", "欧阳小雨")]
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(family.insert(), families)
            await connection.execute(member.insert(), members)
    finally:
        await engine.dispose()
    return last


def _downgrade(url: str, revision: str) -> None:
    # The migration environment runs its own event loop: on a thread of its own, as upgrade() does.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.downgrade, alembic_config(ALEMBIC_INI, url), revision).result()


async def test_members_registered_before_the_migration_are_found_by_part_of_a_name(tmp_path, keys_dir, signing_key):
    settings = dict(environment="test", auth={"jwks_file": keys_dir / "issuer-jwks.json"},
                    signing_key_file=keys_dir / "issuer-ed25519.pem")
    configure_encryption(RegistrySettings(**settings))  # the keys the migration reads from the same settings
    mother_id = id_number("370306", date(1966, 4, 12), "female", 7)
    with scratch_database("registry_backfill", tmp_path) as url:
        upgrade(ALEMBIC_INI, url, "0004")
        last = await _register_before_0005(url, mother_id)
        upgrade(ALEMBIC_INI, url)
        # Down and up again: the downgrade removes what 0005 added, the upgrade backfills anew.
        _downgrade(url, "0004")
        upgrade(ALEMBIC_INI, url)
        assert schema_drift(url, Base.metadata) == []

        app = create_app(RegistrySettings(database_url=url, **settings), configure_logs=False)
        clerk = bearer(mint_token(signing_key, role="clerk", region="370306"))
        async with app_client(app) as client:
            async def found(**params) -> tuple[list[int], int]:
                page = (await client.get("/v1/families", params=params, headers=clerk)).json()
                return [f["id"] for f in page["items"]], page["total"]

            assert await found(name_contains="娜娜") == ([last], 1)
            assert await found(name_contains="小雨") == ([last], 1)  # the child's name
            assert await found(name_contains="欧") == ([last], 1)
            assert await found(id_number_tail=mother_id[-6:]) == ([last], 1)
            assert await found(id_number_tail=mother_id[-4:]) == ([last], 1)
            assert (await found(name_contains="秀英", limit=1))[1] == FILLER_FAMILIES
