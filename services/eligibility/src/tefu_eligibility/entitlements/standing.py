"""Standing on the day, in bulk: who holds which non-cash benefit on one day, for every family of a region.

The question a priority-card office asks of every family at once ("who holds the green channel
today, with which services, under which rule?"), answered over the registry's facts stream with
the column-wise evaluator (``vector.py``): one NDJSON line per family streamed, in the stream's
order, families holding nothing included (so a caller also learns who is still registered).

The answer is the one ``GET /v1/families/{id}/evaluation?on_the_day=true`` gives, benefit by
benefit and recipient by recipient (tests/test_standing_agrees.py checks it on random registers):
- a monthly, yearly or per-day benefit is held if on the day itself a rule is in force and its
  conditions hold for the recipient (on each day the rule of the deepest level in force applies);
- a once-only benefit is held once it arose on or before the day (as the evaluation lists it);
- an optional measure ("有条件的地区可发放") without an amount set by the region is not held.

Each line also names the family's parents with their death dates (facts, no personal data), so
that a caller keeping a copy of who is alive (the desk's guardianship rule) need not read the
facts stream a second time.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import orjson

from tefu_common.auth import Principal
from tefu_common.errors import FieldError, Forbidden, Invalid, ValidationFailed
from tefu_common.i18n import Text
from tefu_common.regions import validate_region_code
from tefu_common.scoping import covers
from tefu_eligibility.catalogue.catalogue import Benefit, Catalogue, RuleSet
from tefu_eligibility.catalogue.schema import Kind
from tefu_eligibility.entitlements.columns import Columns, Rows
from tefu_eligibility.entitlements.service import _parse, collector_paused, documents_of
from tefu_eligibility.entitlements.vector import _amounts, _applicable, _arising, _trigger_days
from tefu_eligibility.evaluation.facts import EARLIEST, too_early
from tefu_eligibility.registry import RegistryClient

MAX_BENEFITS = 20
log = logging.getLogger("tefu.standing")


@dataclass
class StandingCounts:
    families: int = 0
    holders: int = 0


def standing_codes(rules: RuleSet) -> set[str]:
    """The region's non-cash benefits (services): what a standing on the day is asked of."""
    return {code for code, benefit in rules.benefits.items() if benefit.versions[0].rule.kind is not Kind.cash}


def held_on(rules: RuleSet, benefit: Benefit, columns: Columns, day: int) -> list[list[dict[str, Any]]]:
    """Per family of the batch, the recipients holding the benefit on ``day`` (in the rule's
    recipient order, as the evaluation lists them)."""
    held: list[list[dict[str, Any]]] = [[] for _ in range(columns.size)]
    rule = benefit.versions[0].rule
    rows = Rows(columns, rule.recipients)
    if rows.size == 0:
        return held
    if rule.frequency.once:
        on = _arising(benefit, _trigger_days(columns, rows, rule.trigger))  # type: ignore[arg-type]
        per_version = _applicable(benefit, rows, on[:, None])
        first = on
        arisen = on <= day
    else:
        per_version = _applicable(benefit, rows, np.full((rows.size, 1), day, dtype=np.int64))
        first = np.full(rows.size, day, dtype=np.int64)
        arisen = np.ones(rows.size, dtype=bool)
    version_index = np.full(rows.size, -1, dtype=np.int64)
    for index in range(len(per_version) - 1, -1, -1):
        version_index[per_version[index][:, 0]] = index
    positions = np.flatnonzero((version_index >= 0) & arisen)
    if not len(positions):
        return held
    chosen = version_index[positions]
    if any(v.rule.optional for v in benefit.versions):
        amounts = _amounts(rules, benefit, rows, positions, first[positions], chosen)
        keep = [k for k, (v, a) in enumerate(zip(chosen.tolist(), amounts))
                if not (benefit.versions[v].rule.optional and (a is None or a.value is None))]
        positions, chosen = positions[keep], chosen[keep]
    described = [{"rule_id": v.rule_id, "citation": v.citation, "services": list(v.rule.services)}
                 for v in benefit.versions]
    for position, version in zip(positions.tolist(), chosen.tolist()):
        member = rows.member_ids[position]
        held[int(rows.index[position])].append({"member_id": member, "role": rows.roles[position], **described[version]})
    return held


def batch_standing(catalogue: Catalogue, documents: list[dict[str, Any]], day: int, wanted: set[str] | None,
                   counts: StandingCounts) -> bytes:
    """The lines of one batch of families, in the order they came."""
    groups: dict[str, list[int]] = defaultdict(list)
    chains: dict[str, str] = {}  # a batch has a few regions: each looked up in the catalogue once
    for i, document in enumerate(documents):
        code = document["family"]["region_code"]
        chain = chains.get(code)
        if chain is None:
            chain = chains[code] = catalogue.chain_region(code)
        groups[chain].append(i)
    benefits: list[dict[str, list[dict[str, Any]]]] = [{} for _ in documents]
    for region, members in groups.items():
        rules = catalogue.rule_set(region)
        group = [documents[i] for i in members]
        columns = Columns(group)
        for code in sorted(standing_codes(rules) if wanted is None else standing_codes(rules) & wanted):
            for i, holders in zip(members, held_on(rules, rules.benefits[code], columns, day)):
                if holders:
                    benefits[i][code] = holders
                    counts.holders += len(holders)
    counts.families += len(documents)
    return b"".join(orjson.dumps({
        "family_id": document["family_id"],
        "region_code": document["family"]["region_code"],
        "parents": [{"member_id": p.get("id"), "role": p["role"], "death_date": p.get("death_date")}
                    for p in document["family"]["parents"]],
        "benefits": held,
    }, option=orjson.OPT_APPEND_NEWLINE) for document, held in zip(documents, benefits))


async def standing_stream(catalogue: Catalogue, facts: AsyncIterator[bytes], day: int, wanted: set[str] | None,
                          counts: StandingCounts) -> AsyncIterator[bytes]:
    async for lines in documents_of(facts):
        with collector_paused():
            out = batch_standing(catalogue, _parse(lines), day, wanted, counts)
        if out:
            yield out


def check_request(catalogue: Catalogue, region: str, on: date, benefits: list[str] | None, caller: Principal) -> None:
    """422 naming every bad field, then 403 when the region is outside the caller's."""
    errors: list[FieldError] = []
    try:
        validate_region_code(region)
    except Invalid as problem:
        errors.append(problem.error("region"))
    if on < EARLIEST:
        errors.append(too_early(on).error("on"))
    if benefits is not None:
        if len(benefits) > MAX_BENEFITS:
            errors.append(Invalid("too-many-benefits", f"最多 {MAX_BENEFITS} 项待遇", f"at most {MAX_BENEFITS} benefits")
                          .error("benefits"))
        offered = {code for region_code in catalogue.regions for code in standing_codes(catalogue.rule_set(region_code))}
        for index, code in enumerate(benefits):
            if code not in offered:
                errors.append(Invalid("benefit-unknown", f"“{code}”不是任何地区的服务类待遇（可选：{'、'.join(sorted(offered))}）",
                                      f"{code!r} is not a non-cash benefit of any region").error(f"benefits.{index}"))
    if errors:
        raise ValidationFailed(errors)
    if not covers(caller, region):
        raise Forbidden(Text(f"地区 {region} 不在你的辖区 {caller.region} 之内",
                             f"region {region} is outside your region {caller.region}"), code="region-outside-scope")


async def region_standing(catalogue: Catalogue, registry: RegistryClient, region: str, on: date,
                          benefits: list[str] | None, caller: Principal) -> AsyncIterator[bytes]:
    """The NDJSON lines over the registry's facts stream of the region as of ``on`` (refusals first)."""
    check_request(catalogue, region, on, benefits, caller)
    stack = AsyncExitStack()
    facts = await stack.enter_async_context(registry.region_facts(region, on))
    counts = StandingCounts()

    async def lines() -> AsyncIterator[bytes]:
        try:
            async with stack:
                async for chunk in standing_stream(catalogue, facts, on.toordinal(), set(benefits) if benefits else None,
                                                   counts):
                    yield chunk
        finally:
            log.info("standing %s on %s: %d families, %d holders", region, on, counts.families, counts.holders)

    return lines()

