"""Building a batch from the entitlements of a period.

A batch is built in one transaction: the batch row, every line, the first transition. If the
eligibility service or the registry fails half-way, or the process dies, nothing of it remains,
and a retry (same Idempotency-Key) builds it again. Lines are written with "insert unless the
(payee, benefit, period) already has a pending or paid line", which the database enforces: two
batches racing for the same region and period cannot both hold a line.

One batch of a region is built at a time (a transaction-scoped advisory lock on PostgreSQL). A
request that finds the region taken is answered 409 at once rather than queued: a queued request
would hold a pooled connection for as long as the build before it talks to the other services,
and twenty of them used to exhaust the pool, so that the last ones, and the database monitor's
probe, timed out into a 503 although the database was fine.

What the build leaves out (no amount yet, no bank account, held by another batch) is written with
the lines, one row each, and counted on the batch: a clerk opening the batch later sees whom to act
on and why. Entitlements of months before the period that an earlier batch holds are the usual
result of every build's look-back for arrears (a monthly batch looks twelve months back, and
nearly all of them are paid): they are counted but not listed, which would write many times more
rows than the batch has lines.

The entitlements arrive as a stream and are handled in chunks. While the database takes the lines
of one chunk, the registry is already reading the bank details of the next, so that eligibility,
the registry, the database and this process all work at once instead of in turn.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.errors import Conflict, Invalid
from tefu_common.i18n import Text
from tefu_common.periods import Period, months_back, parse_period
from tefu_common.scoping import covers, require_within
from tefu_payments.agencies.repository import AgencyRepository
from tefu_payments.batches.ledger_bulk import Key, held_keys, holders, insert_lines, insert_skips
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.payee import snapshot
from tefu_payments.batches.repository import BatchRepository
from tefu_payments.batches.schemas import BatchCreate
from tefu_payments.schedules.repository import ScheduleRepository
from tefu_payments.schedules.service import applicable, checked_frequency
from tefu_payments.notices.service import undelivered_members
from tefu_payments.upstreams import EligibilityClient, RegistryClient

CHUNK = 2000
REGISTRY_READS = 2  # chunks whose payees are being read while another chunk is written


@dataclass
class BuildReport:
    allocated: int = 0  # line references handed out (a reference is never reused, even if its row lost a race)
    inserted: int = 0
    total: Decimal = Decimal("0.00")
    arrears: int = 0
    no_amount: int = 0
    no_bank_account: int = 0
    already_in_ledger: int = 0
    already_in_ledger_earlier: int = 0  # of those, for months before the period: counted, not listed
    under_review: int = 0  # payees with a review task open in the registry (a bank said died, account closed)

    def skipped(self) -> dict[str, int]:
        return {"no_amount": self.no_amount, "no_bank_account": self.no_bank_account,
                "already_in_ledger": self.already_in_ledger, "already_in_ledger_earlier": self.already_in_ledger_earlier,
                "under_review": self.under_review}


def request_hash(body: BatchCreate) -> str:
    canonical = json.dumps({**body.model_dump(), "benefits": sorted(set(body.benefits))}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def find_idempotent(batches: BatchRepository, key: str | None, digest: str) -> Batch | None:
    """The batch an earlier request with this Idempotency-Key built (422 if its body differed)."""
    if not key:
        return None
    batch = await batches.by_idempotency_key(key)
    if batch is not None and batch.request_hash != digest:
        raise Invalid("idempotency-key-reused", f"这个 Idempotency-Key 已用于批次 {batch.id}，当时的请求内容不同",
                      f"already used for batch {batch.id} with other values").at("Idempotency-Key", location="header")
    return batch


# The national special assistance (国人口发〔2007〕78号) began in 2007: nothing is owed before it.
PROGRAMME_START = date(2007, 1, 1)


def _period_of(day: date, frequency: str) -> Period:
    month = parse_period(f"{day:%Y-%m}")
    assert month is not None
    found = parse_period(month.as_frequency(frequency))
    assert found is not None
    return found


IDEMPOTENT_WAIT_SECONDS = 60.0


async def wait_for_idempotent(batches: BatchRepository, key: str, digest: str, region_code: str, *,
                              seconds: float = IDEMPOTENT_WAIT_SECONDS) -> Batch | None:
    """The batch another request with this key builds, once it is committed; None if none appears
    within ``seconds`` (the build going on was another one, or failed)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await batches.session.rollback()  # gives the pooled connection back while we wait
        await asyncio.sleep(0.25)
        found = await find_idempotent(batches, key, digest)
        if found is not None:
            return found
        if await batches.region_free(region_code):
            # The build is over: its batch is there now, or it was another build, or it failed.
            return await find_idempotent(batches, key, digest)
    return None


def pay_period(text: str, *, today: date, lookahead: int) -> Period:
    """The batch's period: a real one, not before the programme began, and no later than the
    current period of its kind (or, with ``lookahead``, the one after: paying ahead of a holiday)."""
    try:
        period = parse_period(text)
    except ValueError:  # a year 0000, say: no calendar has it
        period = None
    if period is None:
        raise Invalid("period-format", f"“{text}”不是月份（2020-06）、季度（2020-Q2）或年份（2020）",
                      f"{text!r} is not a month (2020-06), a quarter (2020-Q2) or a year (2020)").at("period")
    if period.first < PROGRAMME_START:
        raise Invalid("period-before-programme", f"{period.label_zh}早于特别扶助制度建立（2007年，国人口发〔2007〕78号）",
                      f"{period.label} is before the programme began (2007)").at("period")
    current = latest = _period_of(today, period.frequency)
    for _ in range(lookahead):
        latest = _period_of(latest.last + timedelta(days=1), period.frequency)
    if period.first > latest.first:
        ahead = f"，最多可提前一期（{latest.label_zh}）" if lookahead else ""
        raise Invalid("period-too-late", f"{period.label_zh}尚未到来：批次最晚为本期（{current.label_zh}）{ahead}",
                      f"{period.label} has not come: a batch is for the current period ({current.label}) at the "
                      f"latest{f', or the next ({latest.label})' if lookahead else ''}").at("period")
    return period


async def create_batch(batches: BatchRepository, eligibility: EligibilityClient, registry: RegistryClient,
                       body: BatchCreate, key: str | None, *, arrears_months: int, today: date,
                       lookahead: int = 1) -> tuple[Batch, BuildReport | None]:
    """The batch for the request: an existing one for a repeated Idempotency-Key, else a new draft."""
    session, caller = batches.session, batches.caller
    digest = request_hash(body)
    existing = await find_idempotent(batches, key, digest)
    if existing is not None:
        return existing, None
    period = pay_period(body.period, today=today, lookahead=lookahead)
    require_within(caller, body.region_code, field="region_code")
    schedule = await applicable(ScheduleRepository(session, caller, endpoint=batches.endpoint), body.region_code)
    frequency = checked_frequency(schedule, body.benefits, period)
    agency = await AgencyRepository(session, caller, endpoint=batches.endpoint).get(body.agency_id)
    if agency is None or not agency.active or not covers(agency.region_code, body.region_code):
        raise Invalid("agency-not-found", f"没有在 {body.region_code} 发放的有效代理机构 {body.agency_id}",
                      f"no active agency {body.agency_id} paying in region {body.region_code}").at("agency_id")

    # One batch is built at a time per region. A request that finds another build going on is
    # answered at once (409) instead of waiting with a connection held.
    if not await batches.claim_region(body.region_code):
        if key:
            # The build going on may be this very request, sent twice (a retry, a proxy): wait for
            # it, holding no connection, and answer with the same batch.
            existing = await wait_for_idempotent(batches, key, digest, body.region_code)
            if existing is not None:
                return existing, None
        raise Conflict(Text(f"{body.region_code} 的另一个批次正在生成，完成后再试（已在批次中的项目不会重复发放）",
                            f"another batch of {body.region_code} is being built; retry once it is done (lines it "
                            "holds are never paid twice)"), code="batch-being-built")
    if key:
        # The same key may have finished building while this request checked the rest.
        existing = await find_idempotent(batches, key, digest)
        if existing is not None:
            return existing, None
    now = datetime.now(timezone.utc)
    batch = await batches.add(Batch(
        region_code=body.region_code, benefits=sorted(set(body.benefits)), period=period.label, frequency=frequency,
        period_start=period.first, period_end=period.last, agency_id=agency.id, status="draft",
        prepared_by=caller.subject, idempotency_key=key, request_hash=digest, line_count=0, total=Decimal("0.00"),
        created_at=now, updated_at=now))
    first_month = months_back(period.first, arrears_months)
    report = BuildReport()

    async def held() -> set[int]:
        # Members a bank's return put under review (an open task in the registry, or a notice not
        # yet delivered to it) are paid nothing until the register settles it.
        return await registry.members_under_review(body.region_code) | await undelivered_members(session,
                                                                                                  body.region_code)

    lines = eligibility.entitlement_lines(region=body.region_code, benefits=batch.benefits, first_month=first_month,
                                          last_month=period.last_month)
    async with aclosing(lines):
        await _write_lines(session, registry, batch, lines, period.first_month, report, held)
    if report.inserted == 0:
        raise Conflict(Text(
            f"{body.region_code} 在 {body.period} 没有尚未入批的应发项目（{report.already_in_ledger} 项已在其他批次，"
            f"{report.no_bank_account} 项没有银行账户，{report.no_amount} 项尚无金额）",
            f"nothing is due in {body.region_code} for {body.period} that is not already in a batch "
            f"({report.already_in_ledger} lines already held, {report.no_bank_account} without a bank "
            f"account, {report.no_amount} without an amount)"), code="nothing-due")
    await _link_carried_lines(session, batch.id)
    batch.line_count, batch.total = report.inserted, report.total
    batch.skipped_no_amount, batch.skipped_no_bank_account = report.no_amount, report.no_bank_account
    batch.skipped_already_in_ledger = report.already_in_ledger
    batch.skipped_already_in_ledger_earlier = report.already_in_ledger_earlier
    batch.skipped_under_review = report.under_review
    session.add(BatchTransition(batch_id=batch.id, from_status=None, to_status="draft", actor=caller.subject, at=now,
                                event="built", facts={"lines": report.inserted, "arrears": report.arrears}))
    await session.flush()
    return batch, report


async def _chunks(lines: AsyncIterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    async for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def payee_key(line: dict[str, Any]) -> str:
    return f"f{line['family_id']}" if line["role"] == "household" else f"m{line['member_id']}"


def period_key(line: dict[str, Any]) -> str:
    return line["period"] or "once"


def line_key(line: dict[str, Any]) -> Key:
    return payee_key(line), line["benefit"], period_key(line)


def skip_row(batch_id: int, line: dict[str, Any], reason: str) -> dict[str, Any]:
    """A ``batch_skip`` row: ids and what the entitlement is, never a name."""
    row = {"batch_id": batch_id, "reason": reason, "payee_key": payee_key(line), "family_id": line["family_id"],
           "member_id": line["member_id"], "role": line["role"], "benefit": line["benefit"],
           "benefit_name": line["benefit_name"][:80], "period_key": period_key(line), "month": line["month"],
           "held_batch_id": None, "held_reference": None, "amount_status": None, "amount_reason": None}
    if reason == "no_amount":
        # Read with get: an eligibility service that does not say why is still understood.
        row["amount_status"] = line.get("amount_status")
        row["amount_reason"] = (line.get("amount_reason") or "")[:200] or None
    return row


async def _held_elsewhere(session: AsyncSession, batch: Batch, lines: list[dict[str, Any]], period_first_month: str,
                          report: BuildReport) -> list[dict[str, Any]]:
    """Count lines another batch holds; the rows listing those of the period, each naming its holder."""
    report.already_in_ledger += len(lines)
    listed = [line for line in lines if line["month"] >= period_first_month]
    report.already_in_ledger_earlier += len(lines) - len(listed)
    found = await holders(session, {line_key(line) for line in listed})
    rows = []
    for line in listed:
        row = skip_row(batch.id, line, "already_in_ledger")
        row["held_batch_id"], row["held_reference"] = found.get(line_key(line), (None, None))
        rows.append(row)
    return rows


async def _write_lines(session: AsyncSession, registry: RegistryClient, batch: Batch,
                       lines: AsyncIterator[dict[str, Any]], period_first_month: str, report: BuildReport,
                       held_of: Callable[[], Awaitable[set[int]]]) -> None:
    """Every chunk: drop what the ledger holds and ask the registry for the payees in the
    background; meanwhile write the chunk whose payees came back first. The members under review
    are read once the first entitlements came (an eligibility service that cannot answer is then
    what the clerk is told)."""
    held: set[int] | None = None
    reading: deque[tuple[list[dict[str, Any]], list[dict[str, Any]], asyncio.Task[dict[int, dict[str, Any]]]]] = deque()
    previous_keys: set[Key] = set()
    try:
        async for chunk in _chunks(lines):
            if held is None:
                held = await held_of()
            fresh, skips, previous_keys = await _not_yet_held(session, batch, chunk, previous_keys, period_first_month,
                                                              report)
            members = sorted({line["member_id"] for line in fresh if line["member_id"] is not None})
            reading.append((fresh, skips, asyncio.create_task(registry.payees(members))))
            if len(reading) > REGISTRY_READS:
                fresh, skips, read = reading.popleft()
                await _write(session, batch, fresh, skips, await read, period_first_month, report, held)
        while reading:
            fresh, skips, read = reading.popleft()
            await _write(session, batch, fresh, skips, await read, period_first_month, report, held or set())
    finally:
        # On a failure anywhere, the registry reads still in flight are no longer wanted.
        for _, _, read in reading:
            read.cancel()
        await asyncio.gather(*(read for _, _, read in reading), return_exceptions=True)


async def _not_yet_held(session: AsyncSession, batch: Batch, chunk: list[dict[str, Any]], previous_keys: set[Key],
                        period_first_month: str, report: BuildReport
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[Key]]:
    """The chunk's payable lines that no batch holds yet, each (payee, benefit, period) once, and
    the rows of what it leaves out."""
    payable, skips = [], []
    for line in chunk:
        if line["amount"] is None:
            report.no_amount += 1
            skips.append(skip_row(batch.id, line, "no_amount"))
        else:
            payable.append(line)
    keys = {line_key(line) for line in payable}
    held = await held_keys(session, keys)
    fresh, elsewhere, seen = [], [], set(previous_keys)
    for line in payable:
        key = line_key(line)
        # The same yearly or once-only entitlement in two months of the range comes twice; the
        # previous chunk is not written yet, so its keys count as seen. That second time is the
        # same entitlement this batch pays, not one left out.
        if key in held:
            elsewhere.append(line)
        elif key not in seen:
            seen.add(key)
            fresh.append(line)
    if elsewhere:
        skips += await _held_elsewhere(session, batch, elsewhere, period_first_month, report)
    return fresh, skips, keys


async def _write(session: AsyncSession, batch: Batch, fresh: list[dict[str, Any]], skips: list[dict[str, Any]],
                 payees: dict[int, dict[str, Any]], period_first_month: str, report: BuildReport,
                 held: set[int] | frozenset[int] = frozenset()) -> None:
    now = datetime.now(timezone.utc)
    rows, written_lines = [], []
    for line in fresh:
        if line["member_id"] in held:
            report.under_review += 1
            skips.append(skip_row(batch.id, line, "under_review"))
            continue
        payee = payees.get(line["member_id"])
        if payee is None or not payee.get("account_number"):
            report.no_bank_account += 1
            skips.append(skip_row(batch.id, line, "no_bank_account"))
            continue
        written_lines.append(line)
        report.allocated += 1
        rows.append({
            "batch_id": batch.id, "reference": f"{batch.id:06d}{report.allocated:07d}",
            "family_id": line["family_id"], "member_id": line["member_id"], "role": line["role"],
            "payee_key": payee_key(line), "benefit": line["benefit"], "benefit_name": line["benefit_name"][:80],
            "period_key": period_key(line),
            "month": line["month"], "due_on": date.fromisoformat(line["due_on"]) if line.get("due_on") else None,
            "amount": Decimal(line["amount"]), "status": "pending", "rule_id": line["rule_id"],
            # What the amount was computed from (with rule_id): an audit reproduces the payment from it.
            # Read with get: a line from an eligibility service that does not send them yet is kept, with nulls.
            "catalogue_version": line.get("catalogue_version"), "amount_status": line.get("amount_status"),
            "citation": line["citation"][:200], "payee": snapshot(payee), "bank_name": payee["bank"],
            "created_at": now,
        })
    written = await insert_lines(session, rows) if rows else []
    if len(written) < len(rows):
        # Another build took some of these entitlements after they were checked: which ones, by
        # whom they are held now.
        found = await holders(session, {line_key(line) for line in written_lines})
        taken = [line for line in written_lines if found.get(line_key(line), (batch.id,))[0] != batch.id]
        skips += await _held_elsewhere(session, batch, taken, period_first_month, report)
    await insert_skips(session, skips)
    report.inserted += len(written)
    report.total += sum((amount for amount, _ in written), Decimal("0.00"))
    report.arrears += sum(1 for _, month in written if month < period_first_month)


async def _link_carried_lines(session: AsyncSession, batch_id: int) -> None:
    """A new line for a (payee, benefit, period) that failed before names the failed line.

    One pass over the failed lines (few, and indexed), touching only the lines that carry one."""
    failed = (select(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key, func.max(LedgerLine.id).label("id"))
              .where(LedgerLine.status == "failed")
              .group_by(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).subquery())
    await session.execute(
        update(LedgerLine)
        .where(LedgerLine.batch_id == batch_id, LedgerLine.payee_key == failed.c.payee_key,
               LedgerLine.benefit == failed.c.benefit, LedgerLine.period_key == failed.c.period_key)
        .values(carries_line_id=failed.c.id)
        .execution_options(synchronize_session=False))
