"""Demo seeding goes through the register's own rules and never creates a family twice."""

from sqlalchemy import func, select

from tefu_common.db import Database
from tefu_registry.demo.seed import seed
from tefu_registry.families.models import Family
from tefu_registry.liaisons.models import Contact, Liaison

from tefu_common.testing import bearer



async def test_seed_is_idempotent_and_yields_special_families(settings, client, token):
    database = Database(settings.database_url)
    try:
        first = await seed(database, families=40, seed=77, only_if_empty=False, batch=15)
        again = await seed(database, families=40, seed=77, only_if_empty=False)
        async with database.sessionmaker() as session:
            demo = await session.scalar(select(func.count()).select_from(Family).where(Family.external_ref.like("demo-77-%")))
            special = await session.scalar(
                select(func.count()).select_from(Family).where(Family.external_ref.like("demo-77-%"), Family.special_family)
            )
            liaisons = await session.scalar(select(func.count(func.distinct(Liaison.family_id))))
            posts = await session.scalar(select(func.count()).select_from(Liaison))
            unlinked = await session.scalar(select(func.count()).select_from(Contact).where(Contact.liaison_id.is_(None)))
            calls = await session.scalar(select(func.count()).select_from(Contact).where(Contact.kind == "phone_call"))
    finally:
        await database.dispose()
    assert (first, again, demo) == (40, 0, 40)
    # Every demo family has its liaisons (a few lack the village post) and months of calls by them;
    # the second run added none.
    assert liaisons == 40 and 40 < posts <= 80
    assert unlinked == 0 and calls > 40 * 10
    assert 0 < special < 40  # level-4 disabilities and later births are not special families
    listed = await client.get("/v1/families", params={"special_family": True, "limit": 5},
                              headers=bearer(token(role="auditor", region="000000")))
    assert listed.status_code == 200 and listed.json()["items"]
