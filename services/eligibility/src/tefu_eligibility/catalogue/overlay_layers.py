"""Approved overlays as layers of the catalogue.

An admin of a region sets a dated value of a parameter its documents leave open or that a newer
local document changed (see ``overlays/``). Once a second admin approves it, the value acts as the
deepest layer of that region: every family whose hukou region lies within it gets the value,
ahead of any rule file, for the days it covers. The files stay the reviewed base; an overlay
only ever sets parameter values, never conditions or rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tefu_common.regions import region_table
from tefu_eligibility.catalogue.schema import Document, Parameter, ParameterValue, RuleFile


@dataclass(frozen=True)
class OverlayValue:
    """One approved value: ``value`` of ``parameter`` for every family within ``region``, from
    ``valid_from`` to ``valid_to`` (inclusive; None: open), set by ``document``."""

    id: int
    region: str
    parameter: str
    value: Decimal
    valid_from: date
    valid_to: date | None
    document: str
    clause: str | None
    note: str | None
    approved_by: str
    approved_at: datetime


def fingerprint(overlay: OverlayValue) -> str:
    """What makes the catalogue's version change when an approved value does."""
    o = overlay
    return f"{o.id}|{o.region}|{o.parameter}|{o.value}|{o.valid_from}|{o.valid_to}|{o.document}|{o.clause};"


OVERLAY_DOCUMENT = "本地区参数设置"


def overlay_files(overlays: list[OverlayValue] | tuple[OverlayValue, ...]) -> list[tuple[str, RuleFile]]:
    """(layer name, file) per region holding its approved values, each value citing its own document."""
    by_region: dict[str, dict[str, list[OverlayValue]]] = defaultdict(lambda: defaultdict(list))
    for overlay in overlays:
        by_region[overlay.region][overlay.parameter].append(overlay)
    layers = []
    for region, parameters in sorted(by_region.items()):
        try:
            name = region_table().full_name(region)
        except Exception:  # a code the table does not name still gets its values
            name = region
        file = RuleFile(
            region=region, region_name=name or region,
            document=Document(number=OVERLAY_DOCUMENT, title=f"{name or region}经审核的本地参数",
                              issuer=f"{name or region}（管理员设置、另一管理员审核）"),
            parameters={
                parameter: Parameter(
                    description=f"{parameter}（本地区设置）", unit="yuan",
                    values=[ParameterValue.model_validate({
                        "from": o.valid_from, "to": o.valid_to, "value": o.value, "clause": o.clause,
                        "source": o.document,
                        "note": o.note}) for o in sorted(values, key=lambda o: o.valid_from)])
                for parameter, values in parameters.items()
            })
        layers.append((f"overlay-{region}", file))
    return layers
