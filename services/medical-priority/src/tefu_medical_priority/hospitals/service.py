"""Keeping the hospital directory: one hospital at a time, or a whole file of them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import Forbidden, NotFound, ValidationFailed
from tefu_common.regions import region_prefix
from tefu_common.tables import TableFileError, heading_index, read_table
from tefu_medical_priority.cards.vocabulary import FEE_NAMES
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.hospitals.schemas import HospitalIn, ImportIssue, ImportReport

CODE_PATTERN = r"^[A-Za-z0-9_-]{2,32}$"
FILE_COLUMNS = {
    "code": ("医院编码", "机构编码", "code"),
    "name": ("医院名称", "机构名称", "name"),
    "region_code": ("行政区划代码", "区划代码", "region_code"),
    "level": ("医院等级", "等级", "level"),
    "designated": ("是否定点", "定点", "designated"),
    "fee_waivers": ("减免项目", "免除费用", "fee_waivers"),
}
YES = {"是", "y", "yes", "true", "1", "定点"}
NO = {"否", "n", "no", "false", "0", ""}
FEE_BY_NAME = {name: code for code, name in FEE_NAMES.items()}


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def put_hospital(session: AsyncSession, caller: Principal, code: str, body: HospitalIn) -> tuple[Hospital, bool]:
    """Create or replace; True if created. The caller's region must hold the hospital's."""
    if not caller.covers_region(body.region_code):
        raise Forbidden(f"region {body.region_code} is outside your region {caller.region}")
    hospital = await session.get(Hospital, code)
    created = hospital is None
    if hospital is None:
        hospital = Hospital(code=code, created_at=_now())
        session.add(hospital)
    elif not caller.covers_region(hospital.region_code):
        raise Forbidden(f"hospital {code} is in region {hospital.region_code}, outside your region {caller.region}")
    _apply(hospital, body)
    await session.flush()
    return hospital, created


def _apply(hospital: Hospital, body: HospitalIn) -> bool:
    """Set the fields; True if anything changed."""
    values = {"name": body.name, "region_code": body.region_code, "level": body.level.value,
              "designated": body.designated, "fee_waivers": [fee.value for fee in body.fee_waivers],
              "active": body.active}
    changed = any(getattr(hospital, key, None) != value for key, value in values.items())
    if changed:
        for key, value in values.items():
            setattr(hospital, key, value)
        hospital.updated_at = _now()
    return changed


async def scoped_hospital(session: AsyncSession, code: str, caller: Principal) -> Hospital:
    hospital = await session.get(Hospital, code)
    if hospital is None or not caller.covers_region(hospital.region_code):
        raise NotFound(f"no hospital {code} in region {caller.region}")
    return hospital


async def list_hospitals(session: AsyncSession, caller: Principal, *, region: str | None,
                         designated: bool | None) -> list[Hospital]:
    query = select(Hospital).order_by(Hospital.code)
    for prefix in (region_prefix(caller.region), region_prefix(region) if region else ""):
        if prefix:
            query = query.where(Hospital.region_code.startswith(prefix, autoescape=True))
    if designated is not None:
        query = query.where(Hospital.designated.is_(designated))
    return list((await session.scalars(query)).all())


# --- a file of hospitals ---------------------------------------------------------------------------

def _row_body(cells: list[str], columns: dict[str, int]) -> tuple[str, dict[str, object]]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    designated = cell("designated").lower()
    fees = [part.strip() for part in cell("fee_waivers").replace("；", ";").replace("、", ";").split(";") if part.strip()]
    body = {"name": cell("name"), "region_code": cell("region_code"), "level": cell("level"),
            "designated": True if designated in YES else False if designated in NO else designated,
            "fee_waivers": [FEE_BY_NAME.get(fee, fee) for fee in fees]}
    return cell("code"), body


async def import_hospitals(session: AsyncSession, caller: Principal, content: bytes, filename: str | None) -> ImportReport:
    """Load every good row (create or update), report every bad one with its row and column."""
    try:
        table = read_table(content, filename)
    except TableFileError as exc:
        raise ValidationFailed(f"the file cannot be read: {exc}", errors=[
            {"field": "file", "message": str(exc), "type": "value_error"}]) from None
    (_, heading), rows = table[0], table[1:]
    columns = heading_index(heading, FILE_COLUMNS)
    missing = [names[0] for field, names in FILE_COLUMNS.items() if field not in columns and field != "fee_waivers"]
    if missing:
        raise ValidationFailed(f"missing column(s): {', '.join(missing)}", errors=[
            {"field": "file", "message": f"the heading row lacks {', '.join(missing)} (it has: {', '.join(heading)})",
             "type": "value_error"}])
    report = ImportReport(created=0, updated=0, unchanged=0, rejected=[])
    seen: dict[str, int] = {}
    for number, cells in rows:
        code, raw = _row_body(cells, columns)
        if not re.match(CODE_PATTERN, code):
            report.rejected.append(ImportIssue(row=number, column="医院编码", message=f"{code!r} is not a hospital code "
                                               "(2-32 letters, digits, - or _)"))
            continue
        if code in seen:
            report.rejected.append(ImportIssue(row=number, column="医院编码",
                                               message=f"{code} is already on row {seen[code]}"))
            continue
        seen[code] = number
        try:
            body = HospitalIn.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else str(error["msg"]).split(":")[0].removeprefix("Value error, ")
                report.rejected.append(ImportIssue(row=number, column=FILE_COLUMNS.get(field, (field,))[0],
                                                   message=str(error["msg"]).removeprefix("Value error, ")))
            continue
        if not caller.covers_region(body.region_code):
            report.rejected.append(ImportIssue(row=number, column="行政区划代码",
                                               message=f"{body.region_code} is outside your region {caller.region}"))
            continue
        hospital = await session.get(Hospital, code)
        if hospital is None:
            hospital = Hospital(code=code, created_at=_now())
            _apply(hospital, body)
            session.add(hospital)
            report.created += 1
        elif not caller.covers_region(hospital.region_code):
            report.rejected.append(ImportIssue(row=number, column="医院编码",
                                               message=f"{code} belongs to region {hospital.region_code}"))
        elif _apply(hospital, body):
            report.updated += 1
        else:
            report.unchanged += 1
    if report.rejected and not (report.created or report.updated or report.unchanged):
        raise ValidationFailed(f"no row could be loaded ({len(report.rejected)} rejected)", errors=[
            {"field": f"row {issue.row}.{issue.column}", "message": issue.message, "type": "value_error"}
            for issue in report.rejected])
    await session.flush()
    return report


# --- what a lookup needs of the calling hospital --------------------------------------------------

@dataclass(frozen=True)
class DeskHospital:
    code: str
    active: bool
    designated: bool
    fee_waivers: tuple[str, ...]


class HospitalDirectory:
    """The calling hospital as the lookup needs it, kept a short while so a lookup reads one row.

    A change to the directory reaches lookups within ``ttl`` seconds on every replica.
    """

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, DeskHospital | None]] = {}

    async def get(self, session_factory, code: str) -> DeskHospital | None:  # type: ignore[no-untyped-def]
        cached = self._entries.get(code)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with session_factory() as session:
            hospital = await session.get(Hospital, code)
        found = None if hospital is None else DeskHospital(hospital.code, hospital.active, hospital.designated,
                                                           tuple(hospital.fee_waivers))
        self._entries[code] = (time.monotonic() + self.ttl, found)
        return found

    def forget(self, code: str) -> None:
        self._entries.pop(code, None)

    def forget_all(self) -> None:
        self._entries.clear()
