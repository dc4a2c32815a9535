"""The agency profile: which file an agent bank takes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tefu_common.errors import Invalid
from tefu_common.regions import RegionCodeStr

LineField = Literal["reference", "name", "id_number", "account", "holder", "bank", "amount", "benefit", "period", "due_on"]

DEFAULT_COLUMNS = [
    {"field": "reference", "header": "流水号"},
    {"field": "name", "header": "姓名"},
    {"field": "id_number", "header": "身份证号码"},
    {"field": "account", "header": "银行账号"},
    {"field": "bank", "header": "开户银行"},
    {"field": "amount", "header": "金额"},
    {"field": "benefit", "header": "补助项目"},
    {"field": "period", "header": "所属期间"},
]


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: LineField
    header: str = Field(min_length=1, max_length=32, description="The column's heading in the file (Chinese).")
    width: int | None = Field(None, ge=1, le=200, description="Characters, for fixed-width files only.")


AGENCY_EXAMPLE = {
    "name": "中国农业银行淄博周村支行", "region_code": "370306", "file_format": "csv", "encoding": "gbk",
    "columns": DEFAULT_COLUMNS, "header_row": True, "summary": "trailer", "active": True}


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [AGENCY_EXAMPLE]})

    name: str = Field(min_length=1, max_length=128, examples=["中国农业银行淄博周村支行"])
    region_code: RegionCodeStr = Field(description="Where it pays: batches of regions under this code.")
    file_format: Literal["csv", "xlsx", "fixed"] = "csv"
    encoding: Literal["utf-8", "gbk"] = Field("utf-8", description="For csv and fixed-width files.")
    columns: list[Column] = Field(default_factory=lambda: [Column(**c) for c in DEFAULT_COLUMNS], min_length=1)
    header_row: bool = Field(True, description="A first row of column headings.")
    summary: Literal["none", "header", "trailer"] = Field(
        "trailer", description="A line with the count of lines and the total amount, before or after the lines.")
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> AgencyIn:
        fields = [c.field for c in self.columns]
        if len(set(fields)) != len(fields):
            raise Invalid("column-repeated", "同一字段出现在两列中", "a field appears in two columns")
        for needed, heading in (("reference", "流水号"), ("amount", "金额"), ("account", "银行账号")):
            if needed not in fields:
                raise Invalid("column-missing", f"文件必须有“{heading}”（{needed}）一列", f"the file needs a {needed} column")
        if self.file_format == "fixed" and any(c.width is None for c in self.columns):
            raise Invalid("column-width-missing", "定长文本文件的每一列都要给出宽度（width）",
                          "a fixed-width file needs a width for every column")
        if self.file_format == "xlsx" and self.encoding != "utf-8":
            raise Invalid("xlsx-encoding", "XLSX 文件自带编码，encoding 请保持 utf-8",
                          "XLSX files carry their own encoding; leave encoding as utf-8")
        return self


class AgencyCreate(AgencyIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"id": "ABC-ZC", **AGENCY_EXAMPLE}]})

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$",
                    description="The agency's code, as in its machine client's token (institution id).",
                    examples=["ABC-ZC"])


class AgencyOut(AgencyCreate):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "ABC-ZC", **AGENCY_EXAMPLE, "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:00Z"}]})

    created_at: datetime
    updated_at: datetime
