"""Answering a hospital desk: find the card, say whether it is valid and what it gives here.

This is the hot path: one indexed read of this service's own table (lookup/store.py), never a
call to another service (so desks keep working while the registry or eligibility are down), the
calling hospital from a short-lived cache, and the lookup-log row committed together with its
neighbours' (access_log/writer.py) before the answer leaves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request

from tefu_common.auth import Principal
from tefu_common.calendar import today
from tefu_common.errors import Forbidden, NotFound, TooManyRequests
from tefu_common.regions import region_table
from tefu_medical_priority.cards.models import LIVE_STATES
from tefu_medical_priority.cards.service import id_number_index, name_index
from tefu_medical_priority.cards.vocabulary import DESK_REASONS, FEE_NAMES, PRIVILEGE_NAMES, SERVICE_NAMES
from tefu_medical_priority.hospitals.service import DeskHospital
from tefu_medical_priority.lookup import quota


async def calling_hospital(request: Request, caller: Principal) -> DeskHospital:
    """The hospital the token names, from the directory; 403 if it is not there or inactive."""
    code = caller.institution.id if caller.institution else ""
    hospital = await request.app.state.hospital_directory.get(request.app.state.database.sessionmaker, code)
    if hospital is None or not hospital.active:
        raise Forbidden(f"hospital {code} is not in the directory or is inactive; an administrator registers it "
                        "with PUT /v1/hospitals/{code}")
    return hospital


async def card_by_number(request: Request, card_no: str) -> dict[str, Any] | None:
    return await request.app.state.desk_store.by_number(card_no)


async def card_by_identity(request: Request, caller: Principal, hospital: DeskHospital, name: str,
                           id_number: str) -> dict[str, Any] | None:
    """The holder's card; a wrong name gets the same answer as an unknown ID number (the pair is
    checked, never one half). Limited per hospital and minute; a refused lookup is logged too."""
    settings = request.app.state.settings
    retry_after = await quota.take(request.app.state.database, hospital.code, settings.id_lookup_per_minute)
    if retry_after is not None:
        await request.app.state.lookup_log.record(
            subject=caller.subject, role=caller.role.value, institution=hospital.code, endpoint="POST /v1/cards/lookup",
            how="id_number", card_id=None, region_code=None, outcome="rate_limited")
        raise TooManyRequests(f"at most {settings.id_lookup_per_minute} lookups by ID number a minute per hospital",
                              headers={"Retry-After": str(retry_after)})
    row = await request.app.state.desk_store.by_id_number_index(id_number_index(id_number))
    if row is None or row.pop("name_index") != name_index(name.strip()):
        return None
    return row


def desk_view(row: dict[str, Any], hospital: DeskHospital, on: date | None = None) -> dict[str, Any]:
    """The allow-listed answer (the shape of lookup.schemas.CardCheck)."""
    status = "expired" if row["status"] in LIVE_STATES and (on or today()) > row["valid_until"] else row["status"]
    valid = status == "active"
    privileges = ["medical_priority", *row["privileges"]] if valid else []
    waivers = list(hospital.fee_waivers) if valid and hospital.designated and "fee_waiver" in privileges else []
    reason = None
    if not valid:
        reason = DESK_REASONS.get(status if status != "revoked" else row["status_reason"] or "", "no_longer_eligible")
    return {
        "card_no": row["card_no"], "valid": valid, "status": status, "reason": reason,
        "holder": {"name": row["masked_name"], "sex": row["sex"], "birth_year": row["birth_year"],
                   "id_last4": row["id_last4"]},
        "region_code": row["region_code"], "region_name": region_table().full_name(row["region_code"][:6]),
        "services": [{"code": s, "name": SERVICE_NAMES.get(s, s)} for s in (row["services"] if valid else [])],
        "privileges": [{"code": p, "name": PRIVILEGE_NAMES.get(p, p)} for p in privileges],
        "fee_waivers": [{"fee": f, "name": FEE_NAMES.get(f, f)} for f in waivers],
        "free_ambulance": "free_ambulance" in privileges,
        "valid_until": row["valid_until"].isoformat(),
    }


async def answer(request: Request, caller: Principal, hospital: DeskHospital, row: dict[str, Any] | None, *,
                 how: str, endpoint: str, missing: str) -> dict[str, Any]:
    """Log the lookup (committed before the answer leaves), then the answer; 404 for no card."""
    view = desk_view(row, hospital) if row is not None else None
    await request.app.state.lookup_log.record(
        subject=caller.subject, role=caller.role.value, institution=hospital.code, endpoint=endpoint, how=how,
        card_id=row["id"] if row is not None else None, region_code=row["region_code"] if row is not None else None,
        outcome="not_found" if view is None else "valid" if view["valid"] else "invalid")
    if view is None:
        raise NotFound(missing)
    return view
