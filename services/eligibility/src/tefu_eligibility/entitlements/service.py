"""Bulk entitlements: the registry's facts stream in, one NDJSON line per (person, benefit, month) out.

Facts arrive as NDJSON byte chunks; they are cut into batches of documents, each batch is
evaluated column-wise (``vector.py``) per rule set (families of one stream can fall under
different counties' rules), and its lines are written out before the next batch is read. Neither
the facts nor the lines are ever held whole: memory is bounded by the batch size.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import orjson

from tefu_common import collector
from tefu_common.auth import Principal
from tefu_common.errors import FieldError, Forbidden, Invalid, ValidationFailed
from tefu_common.i18n import Text
from tefu_common.regions import region_contains, validate_region_code
from tefu_common.scoping import covers
from tefu_eligibility.catalogue.catalogue import Catalogue, RuleSet
from tefu_eligibility.catalogue.schema import Frequency, Kind
from tefu_eligibility.entitlements.columns import Columns
from tefu_eligibility.entitlements.schemas import EntitlementsRequest
from tefu_eligibility.entitlements.vector import due_in_month
from tefu_eligibility.household import to_date
from tefu_eligibility.periods import Period, months_between, parse_month
from tefu_eligibility.registry import RegistryClient

BATCH = 4096
CAUSES = {True: "独生子女死亡", False: "独生子女伤残"}
MAX_MONTHS = 60
log = logging.getLogger("tefu.entitlements")


@dataclass
class Counts:
    families: int = 0
    lines: int = 0
    by_benefit: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def bulk_codes(rules: RuleSet, wanted: set[str] | None) -> list[str]:
    """Cash benefits paid monthly, yearly or once (claims per hospital day are not bulk)."""
    codes = []
    for code, benefit in sorted(rules.benefits.items()):
        rule = benefit.versions[0].rule
        if rule.kind is Kind.cash and rule.frequency is not Frequency.per_hospital_day and (wanted is None or code in wanted):
            codes.append(code)
    return codes


def batch_lines(catalogue: Catalogue, documents: list[dict[str, Any]], months: Period | list[Period],
                wanted: set[str] | None, counts: Counts) -> bytes:
    """The lines of one batch of families for each month (the columns are built once)."""
    months = months if isinstance(months, list) else [months]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    chains: dict[str, str] = {}
    for document in documents:
        code = document["family"]["region_code"]
        if code not in chains:
            chains[code] = catalogue.chain_region(code)
        groups[chains[code]].append(document)
    out: list[bytes] = []
    for region, group in groups.items():
        rules = catalogue.rule_set(region)
        columns = Columns(group)
        for month in months:
            for code in bulk_codes(rules, wanted):
                due = due_in_month(rules, rules.benefits[code], columns, month)
                if due is None or not len(due.positions):
                    continue
                out.extend(_lines(columns, due, month, catalogue.version))
                counts.by_benefit[code] += len(due.positions)
    counts.families += len(documents)
    counts.lines += len(out)
    return b"".join(out)


def _lines(columns: Columns, due: Any, month: Period, catalogue_version: str) -> list[bytes]:
    """The lines of one benefit due in the month, each as ``orjson.dumps`` writes the object
    ``{"family_id", "member_id", "role", "benefit", "benefit_name", "month", "period", "due_on",
    "amount", "amount_status", "rule_id", "catalogue_version", "citation", "reason"}``.

    The members that depend only on the rule that applied (name, month, period, rule id, version,
    citation) are serialised once per version; a line joins them with its own values.
    """
    rows = due.rows
    versions = due.benefit.versions
    rule = versions[0].rule
    once = rule.frequency.once
    period = None if once else (month.label if rule.frequency is Frequency.monthly else month.label[:4])
    dumps = orjson.dumps
    # '"benefit":…,"due_on":' and '"rule_id":…,"reason":' of each version, without their braces.
    heads = [dumps({"benefit": rule.code, "benefit_name": v.rule.name, "month": month.label, "period": period,
                    "due_on": None})[1:-5] for v in versions]
    tails = [dumps({"rule_id": v.rule_id, "catalogue_version": catalogue_version,
                    "citation": f"{v.layer.file.document.number} {v.rule.clause}", "reason": None})[1:-5]
             for v in versions]
    reasons = {deceased: dumps(cause) + b"}\n" for deceased, cause in CAUSES.items()}
    deceased = (rows.child_death[due.positions] <= due.first_day).tolist()
    families = rows.index[due.positions].tolist()
    members = rows.member_ids[due.positions].tolist()
    roles = rows.roles[due.positions].tolist()
    days = due.first_day.tolist() if once else None
    texts: dict[Any, bytes] = {}  # a batch repeats a few roles, amounts and statuses

    def text(value: Any) -> bytes:
        found = texts.get(value)
        if found is None:
            found = texts[value] = dumps(value)
        return found

    family_id = columns.family_id
    out = []
    for k, version in enumerate(due.version_index.tolist()):
        priced = due.amounts[k]
        amount = priced.value if priced is not None else None
        out.append(b"".join((
            b'{"family_id":', dumps(family_id[families[k]]), b',"member_id":', dumps(members[k]),
            b',"role":', text(roles[k]), b",", heads[version],
            dumps(to_date(days[k]).isoformat()) if once else b"null",  # type: ignore[index, union-attr]
            b',"amount":', text(f"{amount:.2f}" if amount is not None else None),
            b',"amount_status":', text(priced.status if priced is not None else None), b",", tails[version],
            reasons[bool(deceased[k])])))
    return out


async def documents_of(chunks: AsyncIterator[bytes], batch: int = BATCH) -> AsyncIterator[list[bytes]]:
    """NDJSON byte chunks → batches of complete lines (a line may be split across chunks)."""
    pending = b""
    lines: list[bytes] = []
    async for chunk in chunks:
        pending += chunk
        complete = pending.split(b"\n")
        pending = complete.pop()
        lines.extend(line for line in complete if line)
        while len(lines) >= batch:
            yield lines[:batch]
            lines = lines[batch:]
    if pending.strip():
        lines.append(pending)
    if lines:
        yield lines


def _parse(lines: list[bytes]) -> list[dict[str, Any]]:
    # One JSON array per batch: a single parser call instead of one per line.
    return orjson.loads(b"[" + b",".join(lines) + b"]")


async def entitlement_stream(catalogue: Catalogue, facts: AsyncIterator[bytes], months: list[Period],
                             wanted: set[str] | None, counts: Counts) -> AsyncIterator[bytes]:
    async for lines in documents_of(facts):
        with collector.paused():
            out = batch_lines(catalogue, _parse(lines), months, wanted, counts)
        if out:
            yield out


# --- the request -----------------------------------------------------------------------------------


def months_of(catalogue: Catalogue, body: EntitlementsRequest, caller: Principal) -> list[Period]:
    """The months asked for, once the request is checked: 422 naming every bad field, then 403
    when the region is outside the caller's."""
    errors: list[FieldError] = []

    def fail(problem: Invalid, field: str) -> None:
        errors.append(problem.error(field))

    known_region = True
    try:
        validate_region_code(body.region)
    except Invalid as problem:
        known_region = False
        fail(problem, "region")
    month = parse_month(body.month)
    if month is None:
        fail(_not_a_month(body.month), "month")
    elif month.first_day.year < 1950:
        fail(Invalid("month-before-1950", "月份不能早于 1950-01", "must be 1950-01 or later"), "month")
    months = [month] if month else []
    if body.from_month is not None and month is not None:
        first = parse_month(body.from_month)
        months = months_between(first, month) if first else []
        if first is None:
            fail(_not_a_month(body.from_month), "from_month")
        elif first.first_day.year < 1950:
            fail(Invalid("month-before-1950", "月份不能早于 1950-01", "must be 1950-01 or later"), "from_month")
        elif not 1 <= len(months) <= MAX_MONTHS:
            fail(Invalid("month-range", f"起始月份不能晚于 month，且最多早 {MAX_MONTHS} 个月",
                         f"must be at most {MAX_MONTHS} months before month, and not after it"), "from_month")
    if known_region and body.benefits is not None:
        offered = {code for region in catalogue.regions if _overlaps(region, body.region)
                   for code in bulk_codes(catalogue.rule_set(region), None)}
        known = "、".join(sorted(offered))
        for index, code in enumerate(body.benefits):
            if code not in offered:
                fail(Invalid("benefit-unknown", f"“{code}”不是 {body.region} 的现金待遇（可选：{known}）",
                             f"{code!r} is not a cash benefit of region {body.region} (known: {', '.join(sorted(offered))})"),
                     f"benefits.{index}")
    if errors:
        raise ValidationFailed(errors)
    if not covers(caller, body.region):
        raise Forbidden(Text(f"地区 {body.region} 不在你的辖区 {caller.region} 之内",
                             f"region {body.region} is outside your region {caller.region}"),
                        code="region-outside-scope")
    return months


def _not_a_month(text: str) -> Invalid:
    return Invalid("month-format", f"“{text}”不是月份（应为 YYYY-MM）", f"{text!r} is not a month (YYYY-MM)")


def _overlaps(catalogue_region: str, region: str) -> bool:
    """A catalogue region whose rules can apply to some family under ``region``."""
    return region_contains(catalogue_region, region) or region_contains(region, catalogue_region)


async def region_entitlements(catalogue: Catalogue, registry: RegistryClient, body: EntitlementsRequest,
                              caller: Principal) -> AsyncIterator[bytes]:
    """The NDJSON lines of the request, over the registry's facts stream of the region.

    Everything that can be refused cleanly is refused before this returns: a bad request, a
    region outside the caller's, a registry that is down or refuses the read. The stream itself
    is opened here and closed when the lines are done (or the client goes away).
    """
    months = months_of(catalogue, body, caller)
    stack = AsyncExitStack()
    facts = await stack.enter_async_context(registry.region_facts(body.region, months[-1].last_day))
    wanted = set(body.benefits or []) or None
    counts = Counts()

    async def lines() -> AsyncIterator[bytes]:
        try:
            async with stack:
                async for chunk in entitlement_stream(catalogue, facts, months, wanted, counts):
                    yield chunk
        finally:
            log.info("entitlements %s %s: %d families, %d lines", body.region, body.month, counts.families,
                     counts.lines, extra={"by_benefit": dict(counts.by_benefit)})

    return lines()
