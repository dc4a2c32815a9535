"""Bulk entitlements: the registry's facts stream in, one NDJSON line per (person, benefit, month) out.

Facts arrive as NDJSON byte chunks; they are cut into batches of documents, each batch is
evaluated column-wise (``vector.py``) per rule set (families of one stream can fall under
different counties' rules), and its lines are written out before the next batch is read. Neither
the facts nor the lines are ever held whole: memory is bounded by the batch size.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from tefu_eligibility.catalogue.catalogue import Catalogue, RuleSet
from tefu_eligibility.catalogue.schema import Frequency, Kind
from tefu_eligibility.entitlements.columns import Columns
from tefu_eligibility.entitlements.vector import due_in_month
from tefu_eligibility.household import to_date
from tefu_eligibility.periods import Period

BATCH = 4096
CAUSES = {True: "独生子女死亡", False: "独生子女伤残"}


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
                out.extend(_lines(columns, due, month))
                counts.by_benefit[code] += len(due.positions)
    counts.families += len(documents)
    counts.lines += len(out)
    return b"".join(out)


def _lines(columns: Columns, due: Any, month: Period) -> Iterable[bytes]:
    rows = due.rows
    versions = due.benefit.versions
    rule = versions[0].rule
    once = rule.frequency.once
    period = None if once else (month.label if rule.frequency is Frequency.monthly else month.label[:4])
    citations = [f"{v.layer.file.document.number} {v.rule.clause}" for v in versions]
    deceased = rows.child_death[due.positions] <= due.first_day
    for k, position in enumerate(due.positions.tolist()):
        family = rows.index[position]
        version = int(due.version_index[k])
        amount = due.amounts[k]
        yield orjson.dumps({
            "family_id": columns.family_id[family],
            "member_id": rows.member_ids[position],
            "role": rows.roles[position],
            "benefit": rule.code,
            "benefit_name": versions[version].rule.name,
            "month": month.label,
            "period": period,
            "due_on": to_date(int(due.first_day[k])).isoformat() if once else None,
            "amount": f"{amount:.2f}" if amount is not None else None,
            "rule_id": versions[version].rule_id,
            "citation": citations[version],
            "reason": CAUSES[bool(deceased[k])],
        }, option=orjson.OPT_APPEND_NEWLINE)


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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around one batch.

    A batch allocates tens of thousands of small dicts and lists (the parsed documents), which
    would trigger many collections that find nothing: the documents hold no cycles and are freed
    by reference counting as soon as the batch is done. The batch runs without awaiting, so no
    other request runs while the collector is paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def entitlement_stream(catalogue: Catalogue, facts: AsyncIterator[bytes], months: list[Period],
                             wanted: set[str] | None, counts: Counts) -> AsyncIterator[bytes]:
    async for lines in documents_of(facts):
        with collector_paused():
            out = batch_lines(catalogue, _parse(lines), months, wanted, counts)
        if out:
            yield out
