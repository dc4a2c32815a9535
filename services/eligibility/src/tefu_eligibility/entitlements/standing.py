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

from tefu_common import collector
from tefu_common.auth import Principal
from tefu_common.errors import FieldError, Forbidden, Invalid, ValidationFailed
from tefu_common.i18n import Text
from tefu_common.regions import validate_region_code
from tefu_common.scoping import covers
from tefu_eligibility.catalogue.catalogue import Benefit, Catalogue, RuleSet
from tefu_eligibility.catalogue.schema import Kind
from tefu_eligibility.entitlements.columns import Columns, _objects
from tefu_eligibility.entitlements.service import _parse, documents_of
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


def held_on(rules: RuleSet, benefit: Benefit, columns: Columns, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The recipients holding the benefit on ``day``: the family of each (its index in the batch,
    ascending), its member id and the rest of its JSON object (``_tails``); a family's in the
    rule's recipient order, as the evaluation lists them."""
    rule = benefit.versions[0].rule
    rows = columns.rows(rule.recipients)
    if rows.size == 0:
        return NOBODY, NOBODY, NOBODY
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
        return NOBODY, NOBODY, NOBODY
    chosen = version_index[positions]
    if any(v.rule.optional for v in benefit.versions):
        amounts = _amounts(rules, benefit, rows, positions, first[positions], chosen)
        keep = [k for k, (v, a) in enumerate(zip(chosen.tolist(), amounts))
                if not (benefit.versions[v].rule.optional and (a is None or a.value is None))]
        positions, chosen = positions[keep], chosen[keep]
    # Rows come role by role: a stable sort by family keeps each family's holders in role order.
    families = rows.index[positions]
    order = np.argsort(families, kind="stable")
    positions, chosen, families = positions[order], chosen[order], families[order]
    return families, rows.member_ids[positions], _tails(benefit, rows.roles[positions].tolist(), chosen.tolist())


NOBODY = np.zeros(0, dtype=np.int64)


def _tails(benefit: Benefit, roles: list[str], versions: list[int]) -> np.ndarray:
    """Each holder's ``{"member_id", "role", "rule_id", "citation", "services"}`` as JSON, from the
    comma after the member id on.

    That part depends only on the rule and the role: it is serialised once per batch and benefit,
    not once per holder.
    """
    tails: dict[tuple[int, str], bytes] = {}
    found = []
    for role, version in zip(roles, versions):
        tail = tails.get((version, role))
        if tail is None:
            v = benefit.versions[version]
            described = {"role": role, "rule_id": v.rule_id, "citation": v.citation, "services": list(v.rule.services)}
            tail = tails[version, role] = b"," + orjson.dumps(described)[1:]
        found.append(tail)
    return _objects(found)


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
    # Every holder of the batch: its family (position in the batch), benefit code, member id and the
    # rest of its JSON; gathered benefit by benefit in code order, each in family order.
    families: list[np.ndarray] = []
    codes: list[np.ndarray] = []  # as positions in ``keys``
    keys: list[bytes] = []
    members: list[np.ndarray] = []
    tails: list[np.ndarray] = []
    for region, positions in groups.items():
        rules = catalogue.rule_set(region)
        columns = Columns([documents[i] for i in positions])
        for code in sorted(standing_codes(rules) if wanted is None else standing_codes(rules) & wanted):
            held, member_ids, rest = held_on(rules, rules.benefits[code], columns, day)
            if len(held):
                families.append(np.asarray(positions, dtype=np.int64)[held])
                codes.append(np.full(len(held), len(keys), dtype=np.int64))
                keys.append(orjson.dumps(code))
                members.append(member_ids)
                tails.append(rest)
    counts.families += len(documents)
    counts.holders += sum(map(len, families))
    return _write(documents, *_holder_pieces(families, codes, keys, members, tails))


def _holder_pieces(families: list[np.ndarray], codes: list[np.ndarray], keys: list[bytes], members: list[np.ndarray],
                   tails: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every holder of the batch as four pieces of its family's "benefits" object, and its family.

    One stable sort by family puts each family's holders together, still in code order and,
    within a code, in role order. A holder is written as what precedes it (the code where a
    benefit starts, a comma otherwise), its member id, the rest of its object (``_tails``) and
    what follows it (the closing bracket where a benefit ends).
    """
    if not families:
        return NOBODY, np.empty((0, 4), dtype=object)
    family = np.concatenate(families)
    order = np.argsort(family, kind="stable")
    family = family[order]
    code = np.concatenate(codes)[order]
    new_family = np.ones(len(family), dtype=bool)
    new_family[1:] = family[1:] != family[:-1]
    new_benefit = new_family.copy()
    new_benefit[1:] |= code[1:] != code[:-1]
    last_of_benefit = np.ones(len(family), dtype=bool)
    last_of_benefit[:-1] = new_benefit[1:]
    openers = np.array([b"", b","], dtype=object)[(~new_family).astype(np.int64)] + _objects(keys)[code] \
        + b':[{"member_id":'
    pieces = np.empty((len(family), 4), dtype=object)
    pieces[:, 0] = np.where(new_benefit, openers, b',{"member_id":')
    pieces[:, 1] = list(map(_kept, np.concatenate(members)[order].tolist()))
    pieces[:, 2] = np.concatenate(tails)[order]
    pieces[:, 3] = np.where(last_of_benefit, b"]", b"")
    return family, pieces


def _write(documents: list[dict[str, Any]], family: np.ndarray, pieces: np.ndarray) -> bytes:
    """The batch's lines, each what ``orjson.dumps`` writes for the object ``{"family_id",
    "region_code", "parents": [{"member_id", "role", "death_date"}], "benefits"}``, from the
    holders' pieces (``_holder_pieces``): gathered in one list and joined once."""
    flat = pieces.ravel().tolist()
    # Each family's holders are one run of ``pieces``, four per holder.
    starts = np.flatnonzero(np.diff(family, prepend=-1)).tolist()
    runs = dict(zip(family[starts].tolist(), zip([4 * k for k in starts], [4 * k for k in [*starts[1:], len(family)]])))
    out: list[bytes] = []
    # A batch repeats a few regions and, per parent, a few (role, death date) pairs: their text is
    # written once. What varies per family is its id, its parents' member ids and its holders.
    regions: dict[str, bytes] = {}
    parents: dict[tuple[str, str | None], bytes] = {}
    for i, document in enumerate(documents):
        facts = document["family"]
        code = facts["region_code"]
        opening = regions.get(code)
        if opening is None:
            opening = regions[code] = b',"region_code":' + _kept(code) + b',"parents":['
        out += (b'{"family_id":', _kept(document["family_id"]), opening)
        separator = b'{"member_id":'
        for parent in facts["parents"]:
            key = (parent["role"], parent.get("death_date"))
            rest = parents.get(key)
            if rest is None:
                rest = parents[key] = b',"role":' + _kept(key[0]) + b',"death_date":' + _kept(key[1]) + b"}"
            out += (separator, _kept(parent.get("id")), rest)
            separator = b',{"member_id":'
        out.append(b'],"benefits":{')
        run = runs.get(i)
        if run:
            out += flat[run[0]:run[1]]
        out.append(b"}}\n")
    return b"".join(out)


def _kept(value: Any) -> bytes:
    """JSON of a value kept until the batch is joined, as ``orjson.dumps`` writes it.

    What ``orjson.dumps`` returns holds a buffer of some kilobytes however short the text: held
    for every holder of a batch, those add up to a hundred megabytes. Ids are written with ``%d``;
    anything else is copied into a bytes object of its own length.
    """
    if type(value) is int:
        return b"%d" % value
    return b"%b" % orjson.dumps(value)


async def standing_stream(catalogue: Catalogue, facts: AsyncIterator[bytes], day: int, wanted: set[str] | None,
                          counts: StandingCounts) -> AsyncIterator[bytes]:
    async for lines in documents_of(facts):
        with collector.paused():
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

