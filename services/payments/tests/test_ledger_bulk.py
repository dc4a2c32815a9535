"""Many ledger lines at once, as a large batch writes them: every chunk the same statement, the
database deciding what is already held (PostgreSQL and SQLite alike)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.app import configure_encryption
from tefu_common.db import create_engine
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.ledger_bulk import held_keys, insert_lines
from tefu_payments.batches.models import Batch, LedgerLine
from tefu_payments.batches.payee import PayeeSnapshot

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def line(number: int, payee: int | None = None, *, batch_id: int = 1) -> dict:
    payee = number if payee is None else payee
    return {"batch_id": batch_id, "reference": f"{batch_id:06d}{number:07d}", "family_id": payee, "member_id": payee,
            "role": "mother", "payee_key": f"m{payee}", "benefit": "special_assistance",
            "benefit_name": "计划生育家庭特别扶助金", "period_key": "2024-01", "month": "2024-01", "due_on": None,
            "amount": Decimal("340.00"), "status": "pending", "rule_id": "r", "catalogue_version": "0123456789abcdef",
            "amount_status": "national_minimum" if number % 2 else "local", "citation": "c",
            "payee": PayeeSnapshot("王秀英", "440604196503021029", f"6228{payee:015d}", "王秀英"),
            "bank_name": "中国农业银行佛山禅城支行", "created_at": NOW}


def key(payee: int) -> tuple[str, str, str]:
    return f"m{payee}", "special_assistance", "2024-01"


@pytest.fixture
async def session(database_url, settings):
    configure_encryption(settings)
    engine = create_engine(database_url)
    session = AsyncSession(engine)
    await session.begin()
    session.add(Agency(id="A1", name="a", region_code="440600", file_format="csv", encoding="utf-8", columns=[],
                       header_row=True, summary="trailer", active=True, created_at=NOW, updated_at=NOW))
    await session.flush()
    for batch_id in (1, 2):
        session.add(Batch(id=batch_id, region_code="440604", benefits=["special_assistance"], period="2024-01", frequency="monthly",
                          period_start=date(2024, 1, 1), period_end=date(2024, 1, 31), agency_id="A1", status="draft",
                          prepared_by="clerk-a", request_hash="h", line_count=0, total=Decimal("0"), created_at=NOW,
                          updated_at=NOW))
    await session.flush()
    yield session
    await session.rollback()
    await session.close()
    await engine.dispose()


async def test_sixteen_thousand_lines_in_chunks_of_two_thousand(session):
    # 2,000 lines of 18 columns are more bind parameters than PostgreSQL takes in one statement,
    # and from the sixth chunk on it may plan the statement generically: both once broke a batch.
    for start in range(0, 16_000, 2_000):
        written = await insert_lines(session, [line(n) for n in range(start + 1, start + 2_001)])
        assert len(written) == 2_000 and written[0] == (Decimal("340.00"), "2024-01")
    assert await session.scalar(select(func.count()).select_from(LedgerLine)) == 16_000
    wanted = {key(n) for n in range(15_001, 17_001)}
    assert await held_keys(session, wanted) == {key(n) for n in range(15_001, 16_001)}
    stored = await session.scalar(select(LedgerLine).where(LedgerLine.reference == "0000010000007"))
    assert stored.payee == PayeeSnapshot("王秀英", "440604196503021029", "6228000000000000007", "王秀英")
    # What the amount was computed from goes in with the line, on the COPY path as on the other.
    assert (stored.rule_id, stored.catalogue_version, stored.amount_status) == ("r", "0123456789abcdef", "national_minimum")


async def test_a_line_taken_meanwhile_is_skipped_and_the_rest_written(session):
    assert len(await insert_lines(session, [line(1), line(2), line(3)])) == 3
    # Another batch's chunk holding payee 3 again (its check ran before the first was written).
    written = await insert_lines(session, [line(4, payee=3, batch_id=2), line(5, batch_id=2), line(6, batch_id=2)])
    assert len(written) == 2
    # Written through the temporary table on PostgreSQL: the catalogue version and status with it.
    assert (await session.execute(select(LedgerLine.catalogue_version, LedgerLine.amount_status)
                                  .where(LedgerLine.reference == "0000020000005"))).one() == ("0123456789abcdef",
                                                                                              "national_minimum")
    open_lines = (await session.scalars(select(LedgerLine.reference).where(LedgerLine.payee_key == "m3"))).all()
    assert open_lines == ["0000010000003"]
    assert await session.scalar(select(func.count()).where(LedgerLine.batch_id == 2)) == 2


async def test_a_failed_line_frees_its_entitlement(session):
    await insert_lines(session, [line(1)])
    assert await held_keys(session, {key(1)}) == {key(1)}
    await session.execute(update(LedgerLine).where(LedgerLine.payee_key == "m1").values(status="failed"))
    assert await held_keys(session, {key(1)}) == set()
    assert len(await insert_lines(session, [line(2, payee=1, batch_id=2)])) == 1
