"""The database itself refuses a second payment and a self-approved batch, whatever the API does."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from tefu_common.db import normalise_url
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, LedgerLine

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _line(reference: str, status: str = "pending") -> dict:
    return {"batch_id": 1, "reference": reference, "family_id": 7, "member_id": 70, "role": "mother", "payee_key": "m70",
            "benefit": "special_assistance", "benefit_name": "计划生育家庭特别扶助金", "period_key": "2020-06", "month": "2020-06", "amount": Decimal("610.00"),
            "status": status, "rule_id": "r", "citation": "c", "created_at": NOW}


@pytest.fixture
async def connection(database_url):
    engine = create_async_engine(normalise_url(database_url))
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(insert(Agency).values(
            id="A1", name="a", region_code="370306", file_format="csv", encoding="utf-8", columns=[], header_row=True,
            summary="trailer", active=True, created_at=NOW, updated_at=NOW))
        await conn.execute(insert(Batch).values(
            id=1, region_code="370306", benefits=["special_assistance"], period="2020-06", frequency="monthly", period_start=date(2020, 6, 1),
            period_end=date(2020, 6, 30), agency_id="A1", status="draft", prepared_by="clerk-a", request_hash="h",
            line_count=0, total=Decimal("0"), created_at=NOW, updated_at=NOW))
        yield conn
        await transaction.rollback()
    await engine.dispose()


async def test_one_open_line_per_payee_benefit_and_period(connection):
    await connection.execute(insert(LedgerLine).values(_line("L1")))
    savepoint = await connection.begin_nested()
    with pytest.raises(IntegrityError):
        await connection.execute(insert(LedgerLine).values(_line("L2")))
    await savepoint.rollback()
    # A failed line frees the key: the re-issue is allowed.
    await connection.execute(update(LedgerLine).where(LedgerLine.reference == "L1").values(status="failed"))
    await connection.execute(insert(LedgerLine).values(_line("L3")))


async def test_the_preparer_can_never_be_the_approver(connection):
    savepoint = await connection.begin_nested()
    with pytest.raises(IntegrityError):
        await connection.execute(update(Batch).where(Batch.id == 1).values(approved_by="clerk-a"))
    await savepoint.rollback()
    await connection.execute(update(Batch).where(Batch.id == 1).values(approved_by="chief-b"))
