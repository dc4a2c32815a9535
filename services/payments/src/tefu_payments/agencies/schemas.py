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


class Iso20022Debtor(BaseModel):
    """Who pays, as an ISO 20022 credit transfer names it (pain.001 ``Dbtr``, ``DbtrAcct``, ``DbtrAgt``)."""

    model_config = ConfigDict(extra="forbid")

    debtor_name: str = Field(min_length=1, max_length=140, description="The paying unit (Dbtr/Nm).",
                             examples=["淄博市周村区卫生健康局"])
    debtor_account: str = Field(pattern=r"^[0-9A-Za-z-]{1,34}$", description="The paying account (DbtrAcct/Id/Othr/Id).",
                                examples=["15410101040012345"])
    debtor_agent_cnaps: str | None = Field(
        None, pattern=r"^[0-9]{12}$", description="The paying bank's 12-digit CNAPS code (支付系统行号, "
        "DbtrAgt/FinInstnId/ClrSysMmbId with ClrSysId/Cd CNAPS); omitted: NOTPROVIDED.", examples=["103453654013"])
    initiating_party: str | None = Field(None, min_length=1, max_length=140,
                                         description="Who sends the file (GrpHdr/InitgPty/Nm); default: the debtor.")


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
    file_format: Literal["csv", "xlsx", "fixed", "pain.001"] = Field(
        "csv", description="`pain.001`: ISO 20022 customer credit transfer initiation, version pain.001.001.09 (XML, "
        "UTF-8; one PmtInf, one CdtTrfTxInf per line with EndToEndId the line's reference); needs `iso20022`.")
    encoding: Literal["utf-8", "gbk"] = Field("utf-8", description="For csv and fixed-width files.")
    iso20022: Iso20022Debtor | None = Field(None, description="For `pain.001` only: the debtor of the transfers.")
    columns: list[Column] = Field(default_factory=lambda: [Column(**c) for c in DEFAULT_COLUMNS], min_length=1, max_length=30)
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
        if self.file_format == "pain.001" and self.iso20022 is None:
            raise Invalid("iso20022-debtor-missing", "pain.001 文件须给出付款方（iso20022：付款单位、账号）",
                          "a pain.001 file needs its debtor (iso20022: the paying unit and account)")
        if self.file_format != "pain.001" and self.iso20022 is not None:
            raise Invalid("iso20022-not-pain001", "iso20022 只用于 pain.001 格式", "iso20022 is for the pain.001 format only")
        if self.file_format in ("xlsx", "pain.001") and self.encoding != "utf-8":
            raise Invalid("xlsx-encoding", "XLSX 与 pain.001 文件自带编码（UTF-8），encoding 请保持 utf-8",
                          "XLSX and pain.001 files carry their own encoding (UTF-8); leave encoding as utf-8")
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
