"""Test data: valid resident ID numbers and family registration bodies."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from tefu_common.resident_id import check_character

_sequence = itertools.count(100)


def id_number(region: str, birth: date, sex: str, sequence: int | None = None) -> str:
    """A valid 18-character ID number (check character computed)."""
    seq = sequence if sequence is not None else next(_sequence) % 500
    sex_digit_base = seq * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{sex_digit_base % 1000:03d}"
    return first17 + check_character(first17)


def family_body(
    region: str = "370306",
    *,
    mother_birth: date = date(1965, 3, 2),
    father_birth: date = date(1963, 7, 9),
    child_birth: date = date(1990, 5, 1),
    child_id: bool = True,
    events: list[dict[str, Any]] | None = None,
    mother: bool = True,
    father: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "region_code": region,
        "hukou_type": "rural",
        "address": "淄博市周村区南郊镇某村12号",
        "honor_certificate": {"number": f"GRZ-{next(_sequence)}", "issued_on": "1991-01-05"},
        "child": {"name": "王小明", "birth_date": child_birth.isoformat()},
        "events": events or [],
    }
    if child_id:
        body["child"]["id_number"] = id_number(region, child_birth, "male")
    if mother:
        body["mother"] = {
            "name": "李秀英", "id_number": id_number(region, mother_birth, "female"), "phone": "13812345678",
            "bank_account": {"bank": "中国农业银行周村支行", "account_number": "6228480012345678901", "holder": "李秀英"},
            "in_resident_pension": True, "monthly_basic_pension": "150.00",
        }
    if father:
        body["father"] = {"name": "王建国", "id_number": id_number(region, father_birth, "male")}
    body.update(extra)
    return body

