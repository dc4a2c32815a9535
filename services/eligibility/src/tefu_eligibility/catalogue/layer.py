"""One rule file as a layer of the catalogue: one document of one region, with its dates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tefu_common.regions import region_level
from tefu_eligibility.catalogue.schema import DocumentStatus, RuleFile
from tefu_eligibility.household import BEFORE_ALL, NEVER, day

LEVELS = {"country": 0, "province": 1, "city": 2, "county": 3, "township": 4, "village": 5}


@dataclass(frozen=True)
class Layer:
    """One rule file: one document of one region."""

    name: str
    file: RuleFile
    overlay: bool = False  # values an admin of the region set at run time, not a reviewed file

    @property
    def draft(self) -> bool:
        return self.file.document.status is DocumentStatus.draft

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
