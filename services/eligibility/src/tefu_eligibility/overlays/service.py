"""Parameter overlays: an admin of a region proposes a dated value for one parameter of the rule
files, another admin approves it (maker-checker), and from then on it is the deepest layer of that
region for every family within it.

- A proposal names a parameter defined in the rule files of the region's chain, in that
  parameter's unit, with the document that sets it. It is not in force until approved. A new
  proposal for the same (region, parameter) supersedes one still waiting.
- Approving and rejecting need an admin covering the region who is not the proposer; only the
  proposer withdraws. Only a waiting proposal can be decided.
- Every decision is written to the service's log (``tefu.overlays``); the rows are the history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tefu_common.errors import Conflict, Forbidden, Invalid
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest
from tefu_common.regions import COUNTRY_CODE, region_ancestry, region_table, validate_region_code
from tefu_common.scoping import require_within
from tefu_eligibility.catalogue.catalogue import Catalogue, Layer
from tefu_eligibility.catalogue.schema import Parameter
from tefu_eligibility.overlays.models import ParameterOverlay
from tefu_eligibility.overlays.repository import OverlayRepository
from tefu_eligibility.overlays.schemas import (EARLIEST, ApprovalOut, DecisionIn, OverlayOut, ProposalIn,
                                               RegionParametersOut, ResolvedParameterOut)
from tefu_eligibility.overlays.store import bump_stamp

log = logging.getLogger("tefu.overlays")

# Overlays act as amounts in yuan; percentages (of a pension) and hourly wages stay in the files.
SETTABLE_UNITS = frozenset({"yuan"})
UNIT_ZH = {"yuan": "元", "percent": "百分比", "yuan_per_hour": "元/小时"}
STATUS_ZH = {"proposed": "待审核", "approved": "已批准", "rejected": "已驳回", "withdrawn": "已撤回", "superseded": "已被取代"}


# --- the rule files ------------------------------------------------------------------------------------


def parameter_definitions(catalogue: Catalogue, region: str, name: str) -> list[tuple[Layer, Parameter]]:
    """The definitions of ``name`` in the rule files of ``region``'s chain, deepest first (empty: none)."""
    return [(layer, parameter) for layer, parameter in catalogue.rule_set(region).parameter_definitions(name)
            if not layer.overlay]


def definition(catalogue: Catalogue, region: str, name: str) -> Parameter:
    """The deepest definition of the parameter; 422 ``parameter-unknown`` on ``path.parameter`` if
    no rule file of the region's chain defines it."""
    found = parameter_definitions(catalogue, region, name)
    if not found:
        raise Invalid("parameter-unknown", f"{region} 逐级的规则文件中没有参数 {name}",
                      f"no rule file of {region}'s chain defines the parameter {name}").at("parameter", location="path")
    return found[0][1]


def checked_region(code: str) -> str:
    try:
        return validate_region_code(code)
    except Invalid as problem:
        raise problem.at("region", location="path") from None


def region_name(code: str) -> str | None:
    return "全国" if code == COUNTRY_CODE else region_table().full_name(code[:6])


# --- proposing -----------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _logged(action: str, row: ParameterOverlay, actor: str, **extra: Any) -> None:
    log.info("parameter overlay %s %s by %s: %s %s = %s from %s to %s (%s)", row.id, action, actor, row.region_code,
             row.parameter, row.value, row.valid_from, row.valid_to or "open", row.document,
             extra={"overlay_id": row.id, "action": action, "actor": actor, "region_code": row.region_code,
                    "parameter": row.parameter, "value": str(row.value), "status": row.status, **extra})


async def propose(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                  body: ProposalIn) -> ParameterOverlay:
    """A new proposal, waiting for another admin; one still waiting for the same (region,
    parameter) is superseded by it."""
    caller = overlays.caller
    code = checked_region(region)
    require_within(caller, code, field="region", location="path")
    unit = definition(catalogue, code, parameter).unit
    if unit not in SETTABLE_UNITS:
        raise Invalid("parameter-unit-unsupported",
                      f"{parameter} 的单位是{UNIT_ZH.get(unit, unit)}：目前只能设置以元为单位的金额参数",
                      f"{parameter} is in {unit}: only amounts in yuan can be set for now").at("parameter",
                                                                                             location="path")
    now = _now()
    earlier = await overlays.pending(code, parameter, lock=True)
    for old in earlier:  # before the insert: the partial unique index allows one waiting proposal
        old.status, old.replaced_at = "superseded", now
    await overlays.session.flush()
    row = await overlays.add(ParameterOverlay(
        region_code=code, parameter=parameter, value=body.value, unit=unit, valid_from=body.valid_from,
        valid_to=body.valid_to, proposed_valid_to=body.valid_to, document=body.document, clause=body.clause,
        note=body.note, status="proposed", proposed_by=caller.subject, proposed_at=now))
    for old in earlier:
        old.replaced_by_id = row.id
        _logged("superseded", old, caller.subject, replaced_by=row.id)
    await overlays.session.flush()
    _logged("proposed", row, caller.subject)
    return row


# --- deciding ------------------------------------------------------------------------------------------


def _not_pending(row: ParameterOverlay) -> Conflict:
    return Conflict(Text(f"记录 {row.id} 当前为“{STATUS_ZH[row.status]}”：只有待审核的提议才能审核、驳回或撤回",
                         f"overlay {row.id} is {row.status}: only a proposal waiting for a decision can be decided"),
                    code="proposal-not-pending", status_now=row.status)


async def _pending_row(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                       body: DecisionIn) -> ParameterOverlay:
    code = checked_region(region)
    require_within(overlays.caller, code, field="region", location="path")
    definition(catalogue, code, parameter)
    row = await overlays.get(body.proposal_id, code, parameter, lock=True)
    if row.status != "proposed":
        raise _not_pending(row)
    return row


def _maker_checker(row: ParameterOverlay, subject: str) -> None:
    if row.proposed_by == subject:
        raise Forbidden(Text("提议人不能审核自己提出的参数值（提议与审核分离）",
                             "whoever proposed a value can never approve or reject it (maker-checker)"),
                        code="maker-checker")


@dataclass
class Approval:
    overlay: ParameterOverlay
    closed: list[ParameterOverlay]
    superseded: list[ParameterOverlay]


async def approve(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                  body: DecisionIn) -> Approval:
    """Approve a waiting proposal; it is in force at once over its period.

    The approved values of one (region, parameter) never overlap. For each approved value whose
    period overlaps the new one's (from ``F`` to ``T``, ``T`` possibly open):

    - it started before ``F``: it is **closed**, its ``valid_to`` set to the day before ``F``;
    - it started on or after ``F``: it is **superseded**, no longer in force at all.

    Approved values whose periods do not overlap the new one are left alone. A value closed or
    superseded is never revived or split: where it ran on past ``T``, that remainder is gone too,
    and after ``T`` the value comes from the rule files (or a region above) unless proposed again.
    The approval answers what it closed and superseded; each such row names it in ``replaced_by``.
    """
    caller, now = overlays.caller, _now()
    # Bumping first also takes the state row's lock (PostgreSQL): approvals run one at a time, so
    # two approvals of one parameter cannot both keep overlapping values.
    await bump_stamp(overlays.session, now)
    row = await _pending_row(overlays, catalogue, region, parameter, body)
    _maker_checker(row, caller.subject)
    closed, superseded = [], []
    for other in await overlays.approved(row.region_code, row.parameter):
        if other.valid_from > (row.valid_to or date.max) or (other.valid_to or date.max) < row.valid_from:
            continue
        if other.valid_from < row.valid_from:
            other.valid_to = row.valid_from - timedelta(days=1)
            closed.append(other)
        else:
            other.status = "superseded"
            superseded.append(other)
        other.replaced_by_id, other.replaced_at = row.id, now
    row.status, row.decided_by, row.decided_at, row.decision_note = "approved", caller.subject, now, body.note
    await overlays.session.flush()
    _logged("approved", row, caller.subject, closed=[o.id for o in closed], superseded=[o.id for o in superseded])
    for other in closed:
        _logged("closed", other, caller.subject, replaced_by=row.id)
    for other in superseded:
        _logged("superseded", other, caller.subject, replaced_by=row.id)
    return Approval(row, closed, superseded)


async def reject(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                 body: DecisionIn) -> ParameterOverlay:
    """Another admin covering the region rejects a waiting proposal, saying why."""
    caller = overlays.caller
    row = await _pending_row(overlays, catalogue, region, parameter, body)
    _maker_checker(row, caller.subject)
    if not body.note:
        raise Invalid("note-required", "请说明驳回的理由", "say why the proposal is rejected").at("note")
    row.status, row.decided_by, row.decided_at, row.decision_note = "rejected", caller.subject, _now(), body.note
    await overlays.session.flush()
    _logged("rejected", row, caller.subject)
    return row


async def withdraw(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                   body: DecisionIn) -> ParameterOverlay:
    """The proposer withdraws a proposal still waiting."""
    caller = overlays.caller
    row = await _pending_row(overlays, catalogue, region, parameter, body)
    if row.proposed_by != caller.subject:
        raise Forbidden(Text("只有提议人本人可以撤回提议", "only whoever proposed a value can withdraw it"),
                        code="not-proposer")
    row.status, row.decided_by, row.decided_at, row.decision_note = "withdrawn", caller.subject, _now(), body.note
    await overlays.session.flush()
    _logged("withdrawn", row, caller.subject)
    return row


# --- reading -------------------------------------------------------------------------------------------


def checked_day(on: date) -> date:
    if on < EARLIEST:
        raise Invalid("date-before-1950", f"日期 {on} 早于 {EARLIEST}：此前没有计划生育扶助的规定",
                      f"{on} is before {EARLIEST}: the special-assistance system has no rules before"
                      ).at("on", location="query")
    return on


def resolved_parameters(catalogue: Catalogue, region: str, on: date) -> list[ResolvedParameterOut]:
    """Every parameter of the region's chain as it resolves on the day: its value, ``amount_status``,
    the reason when it is not simply local, and the citation of the value (an approved overlay of
    the region or above it, else the deepest rule file that speaks for the day)."""
    rules = catalogue.rule_set(region)
    day_number = on.toordinal()
    out = []
    for name in rules.parameter_names:
        files = [p for layer, p in rules.parameter_definitions(name) if not layer.overlay]
        found = rules.resolved(name, day_number)
        out.append(ResolvedParameterOut(
            parameter=name, description=files[0].description if files else None,
            unit=files[0].unit if files else None, value=found.value, amount_status=found.status,
            reason=found.reason, floor=found.floor,
            overlay=bool(found.layer is not None and found.layer.overlay and found.source is not None),
            citation=found.citation() if found.source is not None else None))
    return out


async def region_parameters(overlays: OverlayRepository, catalogue: Catalogue, region: str,
                            on: date) -> RegionParametersOut:
    """What is in force for the region on the day, and why: the approved overlays of the region
    and of every region above it (deepest first) and the region's proposals waiting."""
    code = checked_region(region)
    require_within(overlays.caller, code, field="region", location="path")
    day = checked_day(on)
    chain = region_ancestry(code)
    depth = {c: i for i, c in enumerate(chain)}
    in_force = sorted(await overlays.in_force(chain, day),
                      key=lambda r: (depth[r.region_code], r.parameter, r.valid_from))
    pending = await overlays.pending(code)
    return RegionParametersOut(
        region_code=code, region_name=region_name(code), on=day,
        in_force=[overlay_out(catalogue, r) for r in in_force], pending=[overlay_out(catalogue, r) for r in pending],
        parameters=resolved_parameters(catalogue, code, day))


async def history(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
                  page: PageRequest) -> tuple[list[OverlayOut], str | None]:
    """Every row of the (region, parameter), newest first; any parameter name, defined or not any more."""
    code = checked_region(region)
    require_within(overlays.caller, code, field="region", location="path")
    rows, next_cursor = await overlays.history(code, parameter, page)
    return [overlay_out(catalogue, r) for r in rows], next_cursor


async def one(overlays: OverlayRepository, catalogue: Catalogue, region: str, parameter: str,
              overlay_id: int) -> OverlayOut:
    code = checked_region(region)
    require_within(overlays.caller, code, field="region", location="path")
    return overlay_out(catalogue, await overlays.get(overlay_id, code, parameter))


def overlay_out(catalogue: Catalogue, row: ParameterOverlay) -> OverlayOut:
    found = parameter_definitions(catalogue, row.region_code, row.parameter)
    return OverlayOut(
        id=row.id, region_code=row.region_code, region_name=region_name(row.region_code), parameter=row.parameter,
        description=found[0][1].description if found else None, value=row.value, unit=row.unit,
        valid_from=row.valid_from, valid_to=row.valid_to, proposed_valid_to=row.proposed_valid_to,
        document=row.document, clause=row.clause, note=row.note, status=row.status,  # type: ignore[arg-type]
        proposed_by=row.proposed_by, proposed_at=row.proposed_at, decided_by=row.decided_by,
        decided_at=row.decided_at, decision_note=row.decision_note, replaced_by=row.replaced_by_id,
        replaced_at=row.replaced_at)


def approval_out(catalogue: Catalogue, approval: Approval) -> ApprovalOut:
    return ApprovalOut(overlay=overlay_out(catalogue, approval.overlay),
                       closed=[overlay_out(catalogue, r) for r in approval.closed],
                       superseded=[overlay_out(catalogue, r) for r in approval.superseded])
