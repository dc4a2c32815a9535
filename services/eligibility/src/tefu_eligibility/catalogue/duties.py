"""Liaison duties, layered by region like the rules.

A region gets the duties of every file that contains it (national → province → city → county).
A duty is known by its ``id``: a lower level's duty of the same id replaces the upper one's while
its document is in force (the upper one applies again once it lapses), and a duty of a new id is
added. A lower level may only ask for more — a higher count, a narrower window, more triggers, a
shorter deadline, more posts — never less: the documents a county writes implement its
province's, they do not relax them ("结合本区实际" adds to "按照本市有关规定"). A looser value is
refused when the catalogue loads, naming both files, as every other fault of the files is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tefu_eligibility.catalogue.errors import CatalogueError
from tefu_eligibility.catalogue.layer import Layer
from tefu_eligibility.catalogue.schema import (
    ContactDuty,
    Duty,
    EventDuty,
    FestivalDuty,
    LiaisonDuty,
)
from tefu_eligibility.household import BEFORE_ALL, NEVER, day


@dataclass(frozen=True)
class CompiledDuty:
    """One duty of one file, with the days it is in force."""

    duty: Duty
    layer: Layer
    index: int  # its place in the file's ``duties``, for the messages
    start: int
    end: int

    @property
    def duty_id(self) -> str:
        return f"{self.layer.region}/{self.layer.name}/{self.duty.id}"

    @property
    def where(self) -> str:
        return f"{self.layer.name}.yaml: duties[{self.index}] ({self.duty.id})"

    def in_force(self, day_number: int) -> bool:
        return self.start <= day_number <= self.end


@dataclass(frozen=True)
class DutySet:
    """The duties of one region's chain: for each id, every version, deepest level first."""

    region: str
    versions: dict[str, list[CompiledDuty]]

    def on(self, day_number: int) -> list[tuple[CompiledDuty, list[CompiledDuty]]]:
        """The duties in force on the day, each with the upper versions it replaces that day."""
        found = []
        for duty_id in sorted(self.versions):
            in_force = [v for v in self.versions[duty_id] if v.in_force(day_number)]
            if in_force:
                found.append((in_force[0], in_force[1:]))
        return found


def compile_duties(region: str, layers: list[Layer]) -> DutySet:
    """Every duty of the chain (national first), checked: no two versions of an id overlap in one
    region, and no lower level's version is looser than an upper one in force on the same days."""
    versions: dict[str, list[CompiledDuty]] = {}
    for layer in layers:
        document = layer.file.document
        for index, duty in enumerate(layer.file.duties):
            start = day(duty.effective_from or document.effective_from, BEFORE_ALL)
            end = day(duty.effective_to or document.effective_to, NEVER)
            compiled = CompiledDuty(duty, layer, index, start, end)
            for other in versions.get(duty.id, []):
                if not (other.start <= end and start <= other.end):
                    continue
                if other.layer.region == layer.region:
                    raise CatalogueError(
                        "duty-versions-overlap", f"与同一地区的 {other.duty_id} 有效期重叠：请为其中一条写明生效或失效日期",
                        f"overlaps {other.duty_id} in the same region; give one of them effective dates",
                        where=compiled.where)
                upper, lower = (other, compiled) if other.layer.level < layer.level else (compiled, other)
                _not_looser(lower, upper)
            versions.setdefault(duty.id, []).append(compiled)
    for chain in versions.values():
        chain.sort(key=lambda v: (-v.layer.level, -v.start))
    return DutySet(region, versions)


def _not_looser(lower: CompiledDuty, upper: CompiledDuty) -> None:
    if lower.duty.kind != upper.duty.kind:
        raise CatalogueError(
            "duty-kind-changed", f"职责 {lower.duty.id} 的种类（{lower.duty.kind.value}）与上级 {upper.duty_id} 的"
                                 f"（{upper.duty.kind.value}）不同：请换一个 id",
            f"duty {lower.duty.id} is a {lower.duty.kind.value}, the upper {upper.duty_id} a {upper.duty.kind.value}; "
            "use another id", where=lower.where)
    reasons = _looser(lower.duty, upper.duty)
    if reasons:
        raise CatalogueError(
            "duty-looser-than-parent",
            f"职责 {lower.duty.id} 比上级 {upper.duty_id} 宽松：{'；'.join(zh for zh, _ in reasons)}。"
            "下级文件只能增加或收紧职责",
            f"duty {lower.duty.id} is looser than the upper {upper.duty_id}: {'; '.join(en for _, en in reasons)}. "
            "A lower level may only add or tighten a duty", where=lower.where)


def _looser(lower: Any, upper: Any) -> list[tuple[str, str]]:
    """What the lower duty asks less than the upper one (Chinese, English); empty: not looser."""
    reasons: list[tuple[str, str]] = []
    if lower.applies_to != upper.applies_to and lower.applies_to.value != "all":
        reasons.append((f"适用家庭由 {upper.applies_to.value} 改为 {lower.applies_to.value}",
                        f"applies to {lower.applies_to.value} instead of {upper.applies_to.value}"))
    if isinstance(upper, ContactDuty):
        if lower.min_count / lower.per.days < upper.min_count / upper.per.days:
            reasons.append((f"频次每{_PERIOD_ZH[lower.per.value]}{lower.min_count}次低于每{_PERIOD_ZH[upper.per.value]}"
                            f"{upper.min_count}次",
                            f"{lower.min_count} a {lower.per.value} is less than {upper.min_count} a {upper.per.value}"))
        extra = sorted(set(lower.contact_kinds) - set(upper.contact_kinds))
        if extra:
            reasons.append((f"计入了上级不计入的联系方式 {'、'.join(extra)}",
                            f"counts contact kinds the upper one does not: {', '.join(extra)}"))
    elif isinstance(upper, FestivalDuty):
        if lower.festival != upper.festival:
            reasons.append((f"节日由 {upper.festival.value} 改为 {lower.festival.value}",
                            f"festival {lower.festival.value} instead of {upper.festival.value}"))
        if lower.window.before > upper.window.before or lower.window.after > upper.window.after:
            reasons.append((f"时间窗口（节前{lower.window.before}天、节后{lower.window.after}天）宽于上级的"
                            f"（节前{upper.window.before}天、节后{upper.window.after}天）",
                            f"window {lower.window.before} days before / {lower.window.after} after is wider than "
                            f"{upper.window.before} / {upper.window.after}"))
    elif isinstance(upper, EventDuty):
        dropped = sorted(set(upper.triggers) - set(lower.triggers))
        if dropped:
            reasons.append((f"少了触发事件 {'、'.join(dropped)}", f"drops the triggers {', '.join(dropped)}"))
        if lower.deadline_days > upper.deadline_days:
            reasons.append((f"期限 {lower.deadline_days} 天长于上级的 {upper.deadline_days} 天",
                            f"deadline {lower.deadline_days} days is longer than {upper.deadline_days}"))
        extra = sorted(set(lower.contact_kinds) - set(upper.contact_kinds))
        if extra:
            reasons.append((f"计入了上级不计入的联系方式 {'、'.join(extra)}",
                            f"counts contact kinds the upper one does not: {', '.join(extra)}"))
    elif isinstance(upper, LiaisonDuty):
        for field, zh in (("posts", "岗位"), ("leader_posts", "领导干部岗位")):
            dropped = sorted(set(getattr(upper, field)) - set(getattr(lower, field)))
            if dropped:
                reasons.append((f"少了{zh} {'、'.join(dropped)}", f"drops the {field} {', '.join(dropped)}"))
        for field, zh in (("contact_group", "联系小组"), ("fixed_contact", "固定联系人")):
            if getattr(upper, field) and not getattr(lower, field):
                reasons.append((f"不再要求{zh}", f"no longer asks for {field}"))
    return reasons


_PERIOD_ZH = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}
