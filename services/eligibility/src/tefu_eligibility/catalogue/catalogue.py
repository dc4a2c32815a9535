"""The policy catalogue: every rule file, validated, layered by region.

Layering: a region gets the files of every region that contains it (national → province → city
→ county). For each benefit code, on each day, the rule of the deepest level in force that day
applies: a lower level overrides a benefit of the same code while its document is in force, and
the level above applies again once it expires. Parameters resolve the same way, starting from
the family's own region, so a county can set a value its province left to local decision.

Everything is checked at start-up: a malformed file, an unknown condition, a parameter no rule
can reach, two versions of a benefit overlapping in one region: the service refuses to start,
naming the file and the place.
"""

from __future__ import annotations

import functools
import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tefu_common.errors import pydantic_field_error
from tefu_common.regions import COUNTRY_CODE, region_contains
from tefu_eligibility.catalogue.amounts import UNKNOWN, Resolved, change_days, resolve
from tefu_eligibility.catalogue.conditions import TRUE, Condition, During, Ref, all_of, parse_condition
from tefu_eligibility.catalogue.duties import DutySet, compile_duties
from tefu_eligibility.catalogue.errors import CatalogueError
from tefu_eligibility.catalogue.layer import Layer
from tefu_eligibility.catalogue.overlay_layers import OverlayValue, fingerprint, overlay_files
from tefu_eligibility.catalogue.schema import Formula, Kind, Parameter, Rule, RuleFile
from tefu_eligibility.household import BEFORE_ALL, NEVER, day

CENT = Decimal("0.01")


@dataclass
class CompiledRule:
    """A rule compiled for one region's chain: conditions with every ``ref`` resolved."""

    rule: Rule
    layer: Layer
    start: int
    end: int
    condition: Condition
    amount_cases: list[tuple[Condition, Formula]]

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def rule_id(self) -> str:
        return f"{self.layer.region}/{self.layer.name}/{self.rule.code}"

    @property
    def citation(self) -> dict[str, Any]:
        return self.layer.citation(self.rule.clause)

    def in_force(self, day_number: int) -> bool:
        return self.start <= day_number <= self.end

    @property
    def since_unknown(self) -> bool:
        """A standing measure whose first day the document does not give."""
        return self.start == BEFORE_ALL and self.rule.standing is not None


@dataclass
class Benefit:
    """Every version of one benefit code that can apply in a region, deepest level first."""

    code: str
    versions: list[CompiledRule]

    def version_on(self, day_number: int) -> CompiledRule | None:
        for version in self.versions:
            if version.in_force(day_number):
                return version
        return None


@dataclass(frozen=True)
class Amount:
    """An amount on a day with its status (see ``amounts.py``); ``resolved`` is the parameter that decided."""

    value: Decimal | None
    status: str
    reason: str | None = None
    floor: Decimal | None = None
    resolved: Resolved | None = None

    def for_months(self, months: int) -> Amount:
        """A yearly amount shared by the months of the year held (``yearly_share: by_month``)."""
        if self.value is None:
            return self
        value = (self.value * months / 12).quantize(CENT, ROUND_HALF_UP)
        return Amount(value, self.status, self.reason, self.floor, self.resolved)


@dataclass
class RuleSet:
    """The rules of one region: its chain of files, compiled."""

    region: str  # the deepest catalogue region of the chain
    layers: list[Layer]
    special_family: Condition
    benefits: dict[str, Benefit]
    _parameters: dict[str, list[tuple[Layer, Parameter]]] = field(default_factory=dict)
    _steps: dict[str, tuple[list[int], list[Resolved]]] = field(default_factory=dict)

    def parameter_definitions(self, name: str) -> list[tuple[Layer, Parameter]]:
        """Every layer of the chain that defines the parameter, deepest first."""
        return list(self._parameters.get(name, []))

    @property
    def parameter_names(self) -> list[str]:
        return sorted(self._parameters)

    def resolved(self, name: str, day_number: int) -> Resolved:
        """The parameter on the day, with its status and the layer that decides it."""
        starts, values = self.resolved_steps(name)
        return values[bisect_right(starts, day_number) - 1]

    def resolved_steps(self, name: str) -> tuple[list[int], list[Resolved]]:
        """The parameter as a step function of the day, for vectorised lookups (``searchsorted``)."""
        if name in self._steps:
            return self._steps[name]
        chain = self._parameters.get(name, [])
        starts = change_days(chain)
        steps = (starts, [resolve(name, chain, s) for s in starts])
        self._steps[name] = steps
        return steps

    def amount(self, formula: Formula, day_number: int, pension: Decimal | None) -> Amount:
        """The amount of one formula on a day (for a per-day formula, the amount of one day)."""
        if formula.parameter:
            found = self.resolved(formula.parameter, day_number)
            return Amount(found.value, found.status, found.reason, found.floor, found)
        if formula.percent_of_pension:
            found = self.resolved(formula.percent_of_pension, day_number)
            return percent_amount(found, pension)
        found = self.resolved(formula.hourly_wage or "", day_number)
        return hourly_amount(found, formula.hours or Decimal(0))


# A cash benefit whose formula has cases of which none holds on the day.
NO_CASE = Amount(None, UNKNOWN, "没有适用的金额情形")


def unpriced(rule: Rule) -> Amount | None:
    """The amount of a rule without a formula: unknown for cash (its basis says what it would be),
    none for a service."""
    return Amount(None, UNKNOWN, rule.amount_basis) if rule.kind is Kind.cash else None


def percent_amount(found: Resolved, pension: Decimal | None) -> Amount:
    if found.value is None:
        return Amount(None, found.status, found.reason, None, found)
    if pension is None:
        return Amount(None, UNKNOWN, "登记中没有本人月基础养老金，无法计算", None, found)
    return Amount((pension * found.value / 100).quantize(CENT, ROUND_HALF_UP), found.status, found.reason, None, found)


def hourly_amount(found: Resolved, hours: Decimal) -> Amount:
    if found.value is None:
        return Amount(None, found.status, found.reason, None, found)
    return Amount((found.value * hours).quantize(CENT, ROUND_HALF_UP), found.status, found.reason, None, found)


class Catalogue:
    """Every rule file, validated and layered; optionally with the overlays in force on top.

    ``version`` is a content hash of the files and the overlays: an evaluation answer and every
    entitlement line carry it, so a payment can be recomputed years later under the same rules.
    """

    def __init__(self, layers: list[Layer], *, files_digest: str | None = None,
                 overlays: Sequence[OverlayValue] = ()) -> None:
        self.layers = sorted(layers, key=lambda l: (l.level, l.region, l.start, l.name))
        self.files_digest = files_digest or _digest_of(l for l in self.layers if not l.overlay)
        self.overlays = tuple(overlays)
        self.version = hashlib.sha256(
            (self.files_digest + "".join(fingerprint(o) for o in self.overlays)).encode()).hexdigest()[:16]
        self._check()

    @classmethod
    def load(cls, directory: Path | None = None) -> Catalogue:
        """Read and validate every ``*.yaml`` under ``directory`` (default: the packaged files)."""
        root = directory or Path(str(resources.files("tefu_eligibility.catalogue") / "files"))
        layers = []
        digest = hashlib.sha256()
        for path in sorted(root.glob("*.yaml")):
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw + b"\0")
            try:
                data = yaml.safe_load(raw.decode("utf-8"))
                layers.append(Layer(path.stem, RuleFile.model_validate(data)))
            except yaml.YAMLError as exc:
                raise _not_yaml(path.name, exc) from None
            except ValidationError as exc:
                raise _invalid_file(path.name, exc) from None
        if not any(layer.region == COUNTRY_CODE for layer in layers):
            raise CatalogueError("national-file-missing", "缺少全国的规则文件（地区 000000）",
                                 "no national rule file (region 000000)")
        return cls(layers, files_digest=digest.hexdigest())

    def with_overlays(self, overlays: Sequence[OverlayValue]) -> Catalogue:
        """The same files with the approved overlays as the deepest layer of their regions."""
        files = [l for l in self.layers if not l.overlay]
        return Catalogue(files + [Layer(name, file, overlay=True) for name, file in overlay_files(overlays)], files_digest=self.files_digest, overlays=overlays)

    @property
    def regions(self) -> list[str]:
        return sorted({layer.region for layer in self.layers})

    def chain_region(self, region_code: str) -> str:
        """The deepest region with rule files (or overlays) that contains ``region_code``."""
        containing = [l for l in self.layers if region_contains(l.region, region_code)]
        return max(containing, key=lambda l: l.level).region

    def rule_set(self, region_code: str) -> RuleSet:
        return self._rule_set(self.chain_region(region_code))

    @functools.cache
    def _rule_set(self, region: str) -> RuleSet:
        return _compile(region, [l for l in self.layers if region_contains(l.region, region)])

    def duty_set(self, region_code: str) -> DutySet:
        """The liaison duties of the region's chain (``duties.py``)."""
        return self._duty_set(self.chain_region(region_code))

    @functools.cache
    def _duty_set(self, region: str) -> DutySet:
        return compile_duties(region, [l for l in self.layers if region_contains(l.region, region)])

    def _check(self) -> None:
        # Compiling every region's chain checks conditions, references, parameters and overlaps,
        # and that no region's duties are looser than those of the levels above it.
        for region in self.regions:
            self._rule_set(region)
            self._duty_set(region)


def _digest_of(layers: Any) -> str:
    digest = hashlib.sha256()
    for layer in sorted(layers, key=lambda l: l.name):
        digest.update(layer.name.encode() + b"\0" + layer.file.model_dump_json(by_alias=True).encode() + b"\0")
    return digest.hexdigest()


def _compile(region: str, layers: list[Layer]) -> RuleSet:
    """Compile the chain of files (national first) for one region.

    A region's own definition of a special family (Hunan's 光荣证, Foshan's one-child cut-off)
    and its named conditions apply to the rules of its own document and of the levels below it,
    never to a rule of a level above: Hunan "落实…特别扶助制度" applies the national system as it
    stands, it does not narrow it. So conditions are resolved per depth of the chain.
    """
    base = [l for l in layers if l.region == COUNTRY_CODE and l.file.special_family]
    if not base:
        raise CatalogueError("special-family-missing", "全国的规则文件必须定义 special_family（特殊家庭的条件）",
                             "the national file must define special_family")
    contexts = [_Context(region, layers[: depth + 1]) for depth in range(len(layers))]

    parameters: dict[str, list[tuple[Layer, Parameter]]] = {}
    for layer in reversed(layers):  # deepest first
        for name, parameter in layer.file.parameters.items():
            parameters.setdefault(name, []).append((layer, parameter))

    benefits: dict[str, Benefit] = {}
    for depth, layer in enumerate(layers):
        context = contexts[depth]
        for index, rule in enumerate(layer.file.rules):
            where = f"{layer.name}.yaml: rules[{index}] ({rule.code})"
            condition = context.compile(rule.conditions, f"{where}.conditions")
            if rule.recipients == "household":
                personal = [leaf.name for leaf in condition.leaves() if leaf.recipient_level]
                if personal:
                    raise CatalogueError("household-benefit-personal-condition",
                                         f"以户为单位的待遇不能使用针对个人的条件：{'、'.join(personal)}",
                                         f"a household benefit cannot use {', '.join(personal)}", where=where)
            cases: list[tuple[Condition, Formula]] = []
            if rule.amount and rule.amount.formula:
                cases = [(TRUE, rule.amount.formula)]
            elif rule.amount:
                cases = [(context.compile(case.when, f"{where}.amount.cases[{i}].when") if case.when else TRUE,
                          case.amount) for i, case in enumerate(rule.amount.cases or [])]
            for name in rule.amount.parameter_names if rule.amount else []:
                if name not in parameters:
                    raise CatalogueError("parameter-not-defined", f"本地区（{region}）逐级的文件中没有定义参数 {name!r}",
                                         f"parameter {name!r} is not defined in this region's chain ({region})",
                                         where=where)
            start = day(rule.effective_from or layer.file.document.effective_from, BEFORE_ALL)
            if rule.standing is not None:
                start = day(rule.standing.since, BEFORE_ALL)
            end = day(rule.effective_to or layer.file.document.effective_to, NEVER)
            compiled = CompiledRule(rule, layer, start, end, condition, cases)
            benefit = benefits.setdefault(rule.code, Benefit(rule.code, []))
            for other in benefit.versions:
                if other.layer.region == layer.region and other.start <= end and start <= other.end:
                    raise CatalogueError(
                        "rule-versions-overlap", f"与同一地区的 {other.rule_id} 有效期重叠：请为其中一条写明生效或失效日期",
                        f"overlaps {other.rule_id} in the same region; give one of them effective dates", where=where)
            benefit.versions.append(compiled)
    for benefit in benefits.values():
        benefit.versions.sort(key=lambda v: (-v.layer.level, -v.start))
    return RuleSet(region, layers, contexts[-1].special_family, benefits, parameters)


class _Context:
    """Named conditions and the special-family definition as seen from one depth of a chain."""

    def __init__(self, region: str, layers: list[Layer]) -> None:
        self.region = region
        self.named: dict[str, tuple[Layer, dict[str, Any]]] = {}
        for layer in layers:
            for name, data in layer.file.conditions.items():
                self.named[name] = (layer, data)  # a deeper layer's definition replaces one above
        self._resolving: list[str] = []
        self._resolved: dict[str, Condition] = {}
        parts: list[Condition] = []
        for layer in layers:
            if layer.file.special_family:
                part = self.compile(layer.file.special_family, f"{layer.name}.yaml: special_family")
                parts.append(part if layer.region == COUNTRY_CODE else During(layer.start, layer.end, part))
        self.special_family = all_of(parts)

    def resolve(self, name: str) -> Condition:
        if name == "special_family":
            return self.special_family
        if name in self._resolved:
            return self._resolved[name]
        if name not in self.named:
            raise CatalogueError("condition-not-defined", f"本地区（{self.region}）逐级的文件中没有定义条件 {name!r}",
                                 f"condition {name!r} is not defined in this region's chain ({self.region})")
        if name in self._resolving:
            raise CatalogueError("condition-refers-to-itself", f"条件 {name!r} 引用了自身",
                                 f"condition {name!r} refers to itself")
        self._resolving.append(name)
        layer, data = self.named[name]
        try:
            condition = self.compile(data, f"{layer.name}.yaml: conditions.{name}")
        finally:
            self._resolving.pop()
        self._resolved[name] = condition
        return condition

    def compile(self, data: dict[str, Any], where: str) -> Condition:
        condition = parse_condition(data, where)  # its errors name the place already
        try:
            _resolve_refs(condition, self.resolve)
        except CatalogueError as exc:
            raise exc.within(where) from None
        return condition


def _resolve_refs(condition: Condition, resolve: Any) -> None:
    if isinstance(condition, Ref):
        condition.target = resolve(condition.name)
        return
    for attribute in ("parts", "part"):
        children = getattr(condition, attribute, None)
        if isinstance(children, list):
            for child in children:
                _resolve_refs(child, resolve)
        elif isinstance(children, Condition):
            _resolve_refs(children, resolve)


def _not_yaml(name: str, exc: yaml.YAMLError) -> CatalogueError:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return CatalogueError("rule-file-yaml", "不是有效的 YAML", f"not valid YAML: {exc}", where=name)
    line, column = mark.line + 1, mark.column + 1
    return CatalogueError("rule-file-yaml", f"第 {line} 行第 {column} 列不是有效的 YAML",
                          f"not valid YAML at line {line}, column {column}: {getattr(exc, 'problem', exc)}", where=name)


def _invalid_file(name: str, exc: ValidationError) -> CatalogueError:
    """A rule file whose shape is wrong: every field at fault, in each language."""
    faults = [pydantic_field_error(error, location="") for error in exc.errors()]
    if len(faults) == 1:
        fault = faults[0]
        return CatalogueError(fault.code, f"{fault.field}：{fault.message.zh}", f"{fault.field}: {fault.message.en}",
                              where=name)
    return CatalogueError("rule-file-invalid", "；".join(f"{f.field}：{f.message.zh}" for f in faults),
                          "; ".join(f"{f.field}: {f.message.en}" for f in faults), where=name)


@functools.cache
def default_catalogue() -> Catalogue:
    return Catalogue.load()

