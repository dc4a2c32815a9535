"""What a parameter's value is on a day, and how sure the catalogue is of it.

Families lose money where documents meet over time, so a value is never borrowed from another
period or level without saying so. Each answer carries a status:

- ``local``: a local standard is configured for the day (a local rule file, or an approved
  overlay an admin of the region set at run time);
- ``national_minimum``: only the national floor is known (the national standards are minimums,
  "不低于"; a local document that says "动态调整" or "按提标后的标准" defers to a standard the
  catalogue does not hold), and the amount shown is that floor;
- ``unknown``: no value is known (``value`` is None) and ``reason`` says why: the document names
  the amount without setting it, its values are only known from a later day, or the local
  document that set it has lapsed and no successor is configured. A lapsed local standard
  never silently falls to the national one: the national value is shown as ``floor`` only.

Layers are searched from the deepest (an overlay, then the county, city, province) up to the
nation, exactly as rules are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tefu_common.regions import COUNTRY_CODE
from tefu_eligibility.catalogue.layer import Layer
from tefu_eligibility.catalogue.schema import Parameter, ParameterValue
from tefu_eligibility.household import BEFORE_ALL, NEVER, day, to_date

LOCAL = "local"
NATIONAL_MINIMUM = "national_minimum"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Resolved:
    value: Decimal | None
    status: str  # local | national_minimum | unknown
    layer: Layer | None = None  # the layer whose value (or whose silence) decides
    source: ParameterValue | None = None
    reason: str | None = None  # Chinese, for the clerk: why the status is not simply local
    floor: Decimal | None = None  # the national minimum, when the local standard is unknown

    def citation(self) -> dict[str, object] | None:
        if self.layer is None:
            return None
        citation = self.layer.citation(self.source.clause if self.source else None)
        if self.layer.overlay and self.source is not None:
            citation.update(document=self.source.source, title=None)  # the document the admin cited
        elif self.source is not None and self.source.source:
            citation.update(document=self.source.source, title=None, issuer=None, clause=None)
        return citation


def value_start(layer: Layer, value: ParameterValue) -> int:
    if value.start is not None:
        return day(value.start)
    if value.known_from is not None:
        return day(value.known_from)
    return layer.start


def window(layer: Layer, parameter: Parameter) -> tuple[int, int]:
    """The days on which the layer speaks for the parameter (its values, or its silence)."""
    end = day(parameter.until or layer.file.document.effective_to, NEVER)
    starts = [value_start(layer, v) for v in parameter.values]
    return min([layer.start, *starts]), end


def _current(layer: Layer, parameter: Parameter, day_number: int) -> ParameterValue | None:
    current = None
    for value in parameter.values:
        if value_start(layer, value) <= day_number:
            current = value
    if current is not None and current.end is not None and day(current.end) < day_number:
        return None
    return current


def resolve(name: str, chain: list[tuple[Layer, Parameter]], day_number: int) -> Resolved:
    """The value of parameter ``name`` on the day, searching ``chain`` (deepest layer first)."""
    lapsed: tuple[Layer, int] | None = None
    deferred: Layer | None = None
    later: tuple[Layer, ParameterValue] | None = None
    unset: tuple[Layer, Parameter] | None = None  # a layer that names the amount without setting it
    for layer, parameter in chain:
        start, end = window(layer, parameter)
        national = layer.region == COUNTRY_CODE
        if day_number > end:
            if parameter.values and not national and lapsed is None:
                lapsed = (layer, end)
            continue
        if day_number < start:
            if parameter.values and later is None:
                later = (layer, parameter.values[0])
            elif not parameter.values and not parameter.floor_only and unset is None:
                unset = (layer, parameter)
            continue
        if parameter.floor_only:
            deferred = deferred or layer
            continue
        current = _current(layer, parameter, day_number)
        if current is None:
            upcoming = next((v for v in parameter.values if value_start(layer, v) > day_number), None)
            if upcoming is not None:
                later = later or (layer, upcoming)
            if parameter.values:  # values start later, or stopped (`to`): the layer above speaks
                continue
            return _unset(layer, parameter)
        if not national:
            return Resolved(current.value, LOCAL, layer, current)
        if lapsed is not None:
            gone, ended = lapsed
            return Resolved(None, UNKNOWN, gone, None,
                            f"{_doc(gone)}已于{to_date(ended)}失效，未配置后续标准；全国最低标准为{current.value}元",
                            floor=current.value)
        if deferred is not None:
            reason = f"{_doc(deferred)}规定按上级标准动态调整，本地标准未配置：所示为全国最低标准"
        else:
            reason = "本地标准未配置：所示为全国最低标准"
        return Resolved(current.value, NATIONAL_MINIMUM, layer, current, reason)
    if lapsed is not None:
        gone, ended = lapsed
        return Resolved(None, UNKNOWN, gone, None, f"{_doc(gone)}已于{to_date(ended)}失效，未配置后续标准")
    if unset is not None:
        return _unset(*unset)
    if later is not None:
        layer, first = later
        since = to_date(value_start(layer, first))
        return Resolved(None, UNKNOWN, layer, None, f"{_doc(layer)}载明的标准自{since}起；此前的标准未知（未配置）")
    return Resolved(None, UNKNOWN, None, None, "标准未配置")


def change_days(chain: list[tuple[Layer, Parameter]]) -> list[int]:
    """Every day on which :func:`resolve` can change its answer (for step functions)."""
    points = {BEFORE_ALL}
    for layer, parameter in chain:
        start, end = window(layer, parameter)
        points.update((start, layer.start))
        if end < NEVER:
            points.add(end + 1)
        for value in parameter.values:
            points.add(value_start(layer, value))
            if value.end is not None:
                points.add(day(value.end) + 1)
    return sorted(p for p in points if p >= BEFORE_ALL)


def _unset(layer: Layer, parameter: Parameter) -> Resolved:
    """A document that names the amount without setting it."""
    return Resolved(None, UNKNOWN, layer, None, f"{_doc(layer)}未规定标准（{parameter.description}），本地未配置")


def _doc(layer: Layer) -> str:
    return layer.file.document.number
