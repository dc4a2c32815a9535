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
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tefu_common.errors import pydantic_field_error
from tefu_common.regions import COUNTRY_CODE, region_contains, region_level
from tefu_eligibility.catalogue.conditions import TRUE, Condition, During, Ref, all_of, parse_condition
from tefu_eligibility.catalogue.errors import CatalogueError
from tefu_eligibility.catalogue.schema import Formula, Parameter, ParameterValue, Rule, RuleFile
from tefu_eligibility.household import BEFORE_ALL, NEVER, day

LEVELS = {"country": 0, "province": 1, "city": 2, "county": 3, "township": 4, "village": 5}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Layer:
    """One rule file: one document of one region."""

    name: str
    file: RuleFile

    @property
    def region(self) -> str:
        return self.file.region

    @property
    def level(self) -> int:
        return LEVELS[region_level(self.region)]

    @property
    def start(self) -> int:
        return day(self.file.document.effective_from, BEFORE_ALL)

    @property
    def end(self) -> int:
        return day(self.file.document.effective_to, NEVER)

    def citation(self, clause: str | None) -> dict[str, Any]:
        document = self.file.document
        return {"document": document.number, "title": document.title, "issuer": document.issuer,
                "clause": clause, "region_code": self.region}


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


@dataclass
class RuleSet:
    """The rules of one region: its chain of files, compiled."""

    region: str  # the deepest catalogue region of the chain
    layers: list[Layer]
    special_family: Condition
    benefits: dict[str, Benefit]
    _parameters: dict[str, list[tuple[Layer, Parameter]]] = field(default_factory=dict)
    _steps: dict[str, tuple[list[int], list[Decimal | None]]] = field(default_factory=dict)

    def parameter(self, name: str, day_number: int) -> tuple[Decimal, Layer, ParameterValue] | None:
        """The value in force on the day, from the deepest layer that has one."""
        for layer, parameter in self._parameters.get(name, []):
            until = day(parameter.until or layer.file.document.effective_to, NEVER)
            if day_number > until:
                continue
            current = None
            for value in parameter.values:
                if _value_start(layer, parameter, value) <= day_number:
                    current = value
            if current is not None:
                return current.value, layer, current
        return None

    def parameter_steps(self, name: str) -> tuple[list[int], list[Decimal | None]]:
        """The parameter as a step function of the day, for vectorised lookups (``bisect`` / searchsorted)."""
        if name in self._steps:
            return self._steps[name]
        points = {BEFORE_ALL}
        for layer, parameter in self._parameters.get(name, []):
            points.update(_value_start(layer, parameter, v) for v in parameter.values)
            until = day(parameter.until or layer.file.document.effective_to, NEVER)
            if until < NEVER:
                points.add(until + 1)
        starts = sorted(points)
        values = [found[0] if (found := self.parameter(name, s)) else None for s in starts]
        self._steps[name] = (starts, values)
        return starts, values

    def parameter_on(self, name: str, day_number: int) -> Decimal | None:
        starts, values = self.parameter_steps(name)
        return values[bisect_right(starts, day_number) - 1]

    def amount(self, formula: Formula, day_number: int, pension: Decimal | None) -> Decimal | None:
        """The amount of one formula on a day (for a per-day formula, the amount of one day)."""
        if formula.parameter:
            return self.parameter_on(formula.parameter, day_number)
        if formula.percent_of_pension:
            percent = self.parameter_on(formula.percent_of_pension, day_number)
            if percent is None or pension is None:
                return None
            return (pension * percent / 100).quantize(CENT, ROUND_HALF_UP)
        wage = self.parameter_on(formula.hourly_wage or "", day_number)
        return None if wage is None else (wage * (formula.hours or 0)).quantize(CENT, ROUND_HALF_UP)


def _value_start(layer: Layer, parameter: Parameter, value: ParameterValue) -> int:
    if value.start is not None:
        return day(value.start)
    return BEFORE_ALL if parameter.open_start else layer.start


class Catalogue:
    def __init__(self, layers: list[Layer]) -> None:
        self.layers = sorted(layers, key=lambda l: (l.level, l.region, l.start, l.name))
        self._check()

    @classmethod
    def load(cls, directory: Path | None = None) -> Catalogue:
        """Read and validate every ``*.yaml`` under ``directory`` (default: the packaged files)."""
        root = directory or Path(str(resources.files("tefu_eligibility.catalogue") / "files"))
        layers = []
        for path in sorted(root.glob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
                layers.append(Layer(path.stem, RuleFile.model_validate(data)))
            except yaml.YAMLError as exc:
                raise _not_yaml(path.name, exc) from None
            except ValidationError as exc:
                raise _invalid_file(path.name, exc) from None
        if not any(layer.region == COUNTRY_CODE for layer in layers):
            raise CatalogueError("national-file-missing", "缺少全国的规则文件（地区 000000）",
                                 "no national rule file (region 000000)")
        return cls(layers)

    @property
    def regions(self) -> list[str]:
        return sorted({layer.region for layer in self.layers})

    def chain_region(self, region_code: str) -> str:
        """The deepest region with rule files that contains ``region_code``."""
        containing = [l for l in self.layers if region_contains(l.region, region_code)]
        return max(containing, key=lambda l: l.level).region

    def rule_set(self, region_code: str) -> RuleSet:
        return self._rule_set(self.chain_region(region_code))

    @functools.cache
    def _rule_set(self, region: str) -> RuleSet:
        return _compile(region, [l for l in self.layers if region_contains(l.region, region)])

    def _check(self) -> None:
        # Compiling every region's chain checks conditions, references, parameters and overlaps.
        for region in self.regions:
            self._rule_set(region)


def _compile(region: str, layers: list[Layer]) -> RuleSet:
    """Compile the chain of files (national first) for one region."""
    named: dict[str, tuple[Layer, dict[str, Any]]] = {}
    for layer in layers:
        for name, data in layer.file.conditions.items():
            named[name] = (layer, data)  # a deeper layer's definition replaces one above

    resolving: list[str] = []

    @functools.cache
    def resolve(name: str) -> Condition:
        if name == "special_family":
            return special_family
        if name not in named:
            raise CatalogueError("condition-not-defined", f"本地区（{region}）逐级的文件中没有定义条件 {name!r}",
                                 f"condition {name!r} is not defined in this region's chain ({region})")
        if name in resolving:
            raise CatalogueError("condition-refers-to-itself", f"条件 {name!r} 引用了自身",
                                 f"condition {name!r} refers to itself")
        resolving.append(name)
        layer, data = named[name]
        try:
            return compile_condition(data, f"{layer.name}.yaml: conditions.{name}")
        finally:
            resolving.pop()

    def compile_condition(data: dict[str, Any], where: str) -> Condition:
        condition = parse_condition(data, where)  # its errors name the place already
        try:
            _resolve_refs(condition, resolve)
        except CatalogueError as exc:
            raise exc.within(where) from None
        return condition

    base = [l for l in layers if l.region == COUNTRY_CODE and l.file.special_family]
    if not base:
        raise CatalogueError("special-family-missing", "全国的规则文件必须定义 special_family（特殊家庭的条件）",
                             "the national file must define special_family")
    special_parts: list[Condition] = []
    for layer in layers:
        if layer.file.special_family:
            where = f"{layer.name}.yaml: special_family"
            part = compile_condition(layer.file.special_family, where)
            special_parts.append(part if layer.region == COUNTRY_CODE else During(layer.start, layer.end, part))
    special_family = all_of(special_parts)

    parameters: dict[str, list[tuple[Layer, Parameter]]] = {}
    for layer in reversed(layers):  # deepest first
        for name, parameter in layer.file.parameters.items():
            parameters.setdefault(name, []).append((layer, parameter))

    benefits: dict[str, Benefit] = {}
    for layer in layers:
        for index, rule in enumerate(layer.file.rules):
            where = f"{layer.name}.yaml: rules[{index}] ({rule.code})"
            condition = compile_condition(rule.conditions, f"{where}.conditions")
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
                cases = [(compile_condition(case.when, f"{where}.amount.cases[{i}].when") if case.when else TRUE,
                          case.amount) for i, case in enumerate(rule.amount.cases or [])]
            for name in rule.amount.parameter_names if rule.amount else []:
                if name not in parameters:
                    raise CatalogueError("parameter-not-defined", f"本地区（{region}）逐级的文件中没有定义参数 {name!r}",
                                         f"parameter {name!r} is not defined in this region's chain ({region})",
                                         where=where)
            start = day(rule.effective_from or layer.file.document.effective_from, BEFORE_ALL)
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
    return RuleSet(region, layers, special_family, benefits, parameters)


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

