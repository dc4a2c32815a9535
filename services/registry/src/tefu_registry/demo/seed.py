"""Seed an empty register with synthetic families, through the same rules as the API.

Used by ``make run`` (a few thousand families, only when the register is empty) and by
benchmarks. Families go through ``create_family``, so every ID number, date and event is checked
exactly as a clerk's would be, and re-seeding with the same seed creates nothing twice
(``external_ref``).
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from tefu_common.auth import Principal, Role, ROLE_SCOPES
from tefu_common.db import Database
from tefu_common.errors import Conflict
from tefu_common import calendar
from tefu_common.i18n import Text
from tefu_registry.demo.generator import generate_families
from tefu_registry.demo.liaison_work import add_liaison_work
from tefu_registry.families.models import Family
from tefu_registry.families.schemas import FamilyCreate
from tefu_registry.families.registration import persist_families, prepare_family

SEEDER = Principal(
    subject="demo-seeder", role=Role.admin, scopes=ROLE_SCOPES[Role.admin], region="000000", institution=None,
    client_id=None, token_id="demo-seed", expires_at=datetime.now(timezone.utc) + timedelta(days=1),
)


async def seed(database: Database, *, families: int, seed: int = 0, only_if_empty: bool = True, batch: int = 500) -> int:
    """Register ``families`` synthetic families; returns how many were created."""
    async with database.sessionmaker() as session:
        if only_if_empty and await session.scalar(select(func.count()).select_from(Family)):
            return 0
    created = 0
    today = calendar.today()
    generator = generate_families(families, seed=seed, today=today)
    while chunk := list(itertools.islice(generator, batch)):
        prepared = [prepare_family(FamilyCreate.model_validate(body), caller=SEEDER, today=today) for body in chunk]
        async with database.sessionmaker() as session:
            results = await persist_families(session, prepared, caller=SEEDER)
            await add_liaison_work(session, [r for r in results if isinstance(r, int)], seed=seed, today=today)
            await session.commit()
        # Families already seeded (same external_ref or parent) come back as conflicts: skipped.
        created += sum(1 for r in results if not isinstance(r, Conflict))
    return created


async def seed_command(database_url: str, families: int, seed_value: int, only_if_empty: bool) -> None:
    from tefu_common.app import configure_encryption
    from tefu_registry.settings import RegistrySettings

    settings = RegistrySettings()
    configure_encryption(settings)
    database = Database(database_url or settings.database_url)
    started = time.perf_counter()
    try:
        created = await seed(database, families=families, seed=seed_value, only_if_empty=only_if_empty)
    finally:
        await database.dispose()
    seconds = time.perf_counter() - started
    if created:
        print(Text(f"已登记 {created} 户演示家庭，用时 {seconds:.1f} 秒", f"seeded {created} demo families in {seconds:.1f} s"))
    else:
        print(Text("登记簿中已有家庭：未添加演示家庭", "register not empty: no demo families added"))
