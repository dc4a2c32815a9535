"""What a review task looks like on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.ids import RowId

Kind = Literal["confirm_death", "bank_details"]
Status = Literal["open", "confirmed", "updated", "dismissed"]

TASK_EXAMPLE = {
    "id": 7, "family_id": 17, "member_id": 51, "member_role": "mother", "region_code": "420106",
    "kind": "bank_details", "source": "payments", "source_ref": "B12-000031", "reason_code": "AC04",
    "reason": "账户已销户（AC04）", "status": "open", "opened_at": "2026-12-02T02:00:00Z",
    "opened_by": "payments-service", "resolved_at": None, "resolved_by": None, "note": None,
}


class ReviewTaskOpen(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "member_id": 51, "kind": "bank_details", "source_ref": "B12-000031", "reason_code": "AC04",
        "reason": "账户已销户（AC04）"}]})

    member_id: RowId = Field(description="The member the bank's return concerns (the payee of the line).")
    kind: Kind = Field(description="`confirm_death` (MD07: the payee died) or `bank_details` (the account is closed or "
                                   "wrong: AC04, AC01, AC03, BE01 …).")
    source_ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                            description="The returned ledger line's reference: opening the same task again answers "
                                        "the task already open.")
    reason_code: str | None = Field(None, pattern=r"^[A-Z0-9]{2,8}$", description="The bank's ISO 20022 reason code.")
    reason: str = Field(min_length=1, max_length=200, description="The bank's reason in words (Chinese).")


class ReviewTaskResolve(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outcome": "dismissed", "note": "经电话核实，本人健在，银行误报"}]})

    outcome: Literal["confirmed", "dismissed"] = Field(
        description="`confirmed`: the death is on record (record it first as a life event, which also closes the "
                    "task by itself); `dismissed`: the bank was wrong, with a `note` saying how it was checked.")
    note: str | None = Field(None, min_length=2, max_length=500, description="How it was checked; required to dismiss.")


class ReviewTaskOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TASK_EXAMPLE]})

    id: int
    family_id: int
    member_id: int
    member_role: str = Field(description="mother, father or child.")
    region_code: str
    kind: Kind
    source: str
    source_ref: str
    reason_code: str | None
    reason: str
    status: Status = Field(description="open; confirmed (the death is recorded); updated (new bank details); dismissed.")
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
