"""Answering a hospital desk: find the card, say whether it is valid and what it gives here.

This is the hot path: one indexed read of this service's own tables (lookup/store.py), or none
for a card looked up moments before (lookup/cache.py), never a call to another service (so desks
keep working while the registry or eligibility are down), the calling hospital from a short-lived
cache, and the lookup-log row committed together with its neighbours' (the suite's group commit)
before the answer leaves. A holder without a guardian on
record costs one more read: the family's liaisons, from this service's copy (liaisons/).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request

from tefu_common.access_log import GroupCommit, Reader
from tefu_common.auth import Principal
from tefu_common.calendar import today
from tefu_common.db import Database
from tefu_common.errors import NotFound, TooManyRequests
from tefu_common.i18n import Text
from tefu_common.regions import region_table
from tefu_common.signing import DocumentSigner
from tefu_medical_priority.access_log.models import lookup_log
from tefu_medical_priority.cards.models import LIVE_STATES
from tefu_medical_priority.cards.numbers import parse_card_no
from tefu_medical_priority.cards.service import id_number_index, name_index
from tefu_medical_priority.cards.vocabulary import (
    DESK_REASON_TEXT,
    DESK_REASONS,
    FEE_NAMES,
    PRIVILEGE_NAMES,
    SERVICE_NAMES,
)
from tefu_medical_priority.ecards.service import read_ecard
from tefu_medical_priority.hospitals.directory import DeskHospital, HospitalDirectory
from tefu_medical_priority.liaisons.desk import desk_liaisons, without_guardian
from tefu_medical_priority.lookup import quota
from tefu_medical_priority.lookup.cache import CardCache
from tefu_medical_priority.lookup.store import DeskStore

NO_CARD = Text("没有这张卡", "no such card")
NO_HOLDER = Text("没有与该姓名和身份证号相符的卡", "no card for this name and ID number")


class Desk:
    """What a desk's answers need, made once with the app: the store, the group commit of the
    lookup log, the directory of hospitals, the e-card key and the ID-lookup allowance."""

    def __init__(self, database: Database, directory: HospitalDirectory, signer: DocumentSigner, *,
                 id_lookups_per_minute: int, cache: CardCache | None = None) -> None:
        self.database = database
        self.store = DeskStore(database, cache=cache)
        self.log = GroupCommit(self.store)
        self.directory = directory
        self.signer = signer
        self.id_lookups_per_minute = id_lookups_per_minute

    async def start(self) -> None:
        await self.store.start()

    async def stop(self) -> None:
        await self.log.stop()
        await self.store.close()


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


DeskService = Annotated[Desk, Depends(desk_of)]


async def check_number(desk: Desk, caller: Principal, card_no: str, *, endpoint: str, location: str = "path") -> dict[str, Any]:
    """The answer for a card number as typed or read (422 if it cannot be one, 404 for no card)."""
    number = parse_card_no(card_no, location=location)
    hospital = await desk.directory.calling(caller)
    row = await desk.store.by_number(number)
    return await answer(desk, Reader.of(caller, endpoint), hospital, row, how="card_no", missing=NO_CARD)


async def check_qr(desk: Desk, caller: Principal, qr: str, *, endpoint: str) -> dict[str, Any]:
    """The answer for an e-card's QR payload: genuine and unexpired (422 otherwise), then the card as it is now."""
    hospital = await desk.directory.calling(caller)
    if desk.signer.algorithm == "SM2":
        # SM2 in pure Python takes tens of milliseconds of CPU: in a thread, so that the loop keeps
        # answering the other desks meanwhile (the GIL is handed over every few milliseconds).
        number = (await asyncio.to_thread(read_ecard, qr, desk.signer))["card_no"]
    else:
        number = read_ecard(qr, desk.signer)["card_no"]
    row = await desk.store.by_number(number)
    return await answer(desk, Reader.of(caller, endpoint), hospital, row, how="qr", missing=NO_CARD)


async def check_identity(desk: Desk, caller: Principal, name: str, id_number: str, *, endpoint: str) -> dict[str, Any]:
    """The holder's card by name and ID number together; a wrong name gets the same answer as an
    unknown ID number (the pair is checked, never one half). Limited per hospital and minute; a
    refused lookup is logged too."""
    hospital = await desk.directory.calling(caller)
    reader = Reader.of(caller, endpoint)
    retry_after = await quota.take(desk.database, hospital.code, desk.id_lookups_per_minute)
    if retry_after is not None:
        await desk.log.record(lookup_log.row(reader, how="id_number", card_id=None, region_code=None,
                                             outcome="rate_limited"))
        per_minute = desk.id_lookups_per_minute
        raise TooManyRequests(Text(f"本院每分钟按姓名和身份证号查询最多 {per_minute} 次，请 {retry_after} 秒后再试",
                                   f"at most {per_minute} lookups by ID number a minute per hospital; retry in "
                                   f"{retry_after} s"), code="id-lookup-rate-limited",
                              headers={"Retry-After": str(retry_after)})
    row = await desk.store.by_id_number_index(id_number_index(id_number))
    if row is not None and row.pop("name_index") != name_index(name.strip()):
        row = None
    return await answer(desk, reader, hospital, row, how="id_number", missing=NO_HOLDER)


def desk_view(row: dict[str, Any], hospital: DeskHospital, on: date | None = None, *,
              liaisons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The allow-listed answer (the shape of lookup.schemas.CardCheck); ``liaisons``: the family's
    current ones, read for a holder without a guardian."""
    status = "expired" if row["status"] in LIVE_STATES and (on or today()) > row["valid_until"] else row["status"]
    valid = status == "active"
    privileges = ["medical_priority", *row["privileges"]] if valid else []
    waivers = list(hospital.fee_waivers) if valid and hospital.designated and "fee_waiver" in privileges else []
    reason = reason_detail = None
    if not valid:
        reason = DESK_REASONS.get(status if status != "revoked" else row["status_reason"] or "", "no_longer_eligible")
        reason_detail = DESK_REASON_TEXT[reason].render()
    return {
        "card_no": row["card_no"], "valid": valid, "status": status, "reason": reason, "reason_detail": reason_detail,
        "holder": {"name": row["masked_name"], "sex": row["sex"], "birth_year": row["birth_year"],
                   "id_last4": row["id_last4"]},
        "region_code": row["region_code"], "region_name": region_table().full_name(row["region_code"][:6]),
        "services": [{"code": s, "name": SERVICE_NAMES.get(s, s)} for s in (row["services"] if valid else [])],
        "privileges": [{"code": p, "name": PRIVILEGE_NAMES.get(p, p)} for p in privileges],
        "fee_waivers": [{"fee": f, "name": FEE_NAMES.get(f, f)} for f in waivers],
        "free_ambulance": "free_ambulance" in privileges,
        "valid_until": row["valid_until"].isoformat(),
        **desk_liaisons(row, valid=valid, liaisons=liaisons or []),
    }


async def answer(desk: Desk, reader: Reader, hospital: DeskHospital, row: dict[str, Any] | None, *, how: str,
                 missing: Text) -> dict[str, Any]:
    """Log the lookup (committed before the answer leaves), then the answer; 404 for no card."""
    view = None
    if row is not None:
        liaisons = await desk.store.liaisons(row["family_id"]) if without_guardian(row) else None
        view = desk_view(row, hospital, liaisons=liaisons)
    await desk.log.record(lookup_log.row(
        reader, how=how, card_id=row["id"] if row is not None else None,
        region_code=row["region_code"] if row is not None else None,
        outcome="not_found" if view is None else "valid" if view["valid"] else "invalid"))
    if view is None:
        raise NotFound(missing, code="card-not-found")
    return view
