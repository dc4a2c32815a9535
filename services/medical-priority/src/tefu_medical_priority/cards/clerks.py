"""What clerks do to cards by hand: issue, suspend, reinstate, revoke, reissue, make an e-card.

Each goes through the card repository (the caller's region, the read logged) and the card's
life in cards/service.py (the rules every change obeys, whoever acts).
"""

from __future__ import annotations

import asyncio
from datetime import date

from tefu_common.errors import Conflict, Invalid, NotFound
from tefu_common.i18n import Text
from tefu_common.signing import DocumentSigner
from tefu_medical_priority.cards import service
from tefu_medical_priority.cards.repository import CardRepository, CardView
from tefu_medical_priority.cards.standing import holder_of, standing_of
from tefu_medical_priority.ecards.service import EcardFace, sign_ecard
from tefu_medical_priority.upstreams import EligibilityClient, RegistryClient


async def issue_by_hand(cards: CardRepository, eligibility: EligibilityClient, registry: RegistryClient, *,
                        family_id: int, member_id: int, note: str | None, today: date, validity_years: int) -> CardView:
    """A clerk issues a card: the member must qualify today, as the eligibility service answers the
    clerk's own token (so only families of the clerk's region can be named)."""
    evaluation = await eligibility.evaluation(family_id, today)
    if evaluation is None:
        raise NotFound(Text("没有这户家庭（或不在你的辖区）", "no such family (or not in your region)"), code="family-not-found")
    standing = standing_of(evaluation)
    if member_id not in standing.qualifying:
        raise Invalid("member-not-qualified", f"该成员今天不符合就医优先条件：{standing.why_not}",
                      f"member {member_id} of family {family_id} does not qualify for the green channel today"
                      ).at("member_id")
    if await service.live_card(cards.session, member_id) is not None:
        raise service.already_held(member_id)
    person = (await registry.people([member_id])).get(member_id)
    if person is None or person["family_id"] != family_id:
        raise Invalid("member-unknown", f"登记中没有该家庭的成员 {member_id}",
                      f"the registry knows no member {member_id} of family {family_id}").at("member_id")
    if not cards.covers(person["region_code"]):
        raise NotFound(Text("没有这户家庭（或不在你的辖区）", "no such family (or not in your region)"), code="family-not-found")
    card = await service.issue(cards.session, holder=holder_of(person), standing=standing.qualifying[member_id],
                               actor=cards.caller.subject, today=today, validity_years=validity_years,
                               reason="issued_by_hand", note=note)
    return await cards.shown(card)


async def suspend(cards: CardRepository, card_no: str, *, note: str) -> CardView:
    card = await cards.find(card_no, lock=True)
    return await cards.shown(await service.suspend(cards.session, card, actor=cards.caller.subject, note=note))


async def reinstate(cards: CardRepository, card_no: str, *, note: str | None, today: date) -> CardView:
    card = await cards.find(card_no, lock=True)
    card = await service.reinstate(cards.session, card, actor=cards.caller.subject, note=note, today=today)
    return await cards.shown(card)


async def revoke(cards: CardRepository, card_no: str, *, reason: str, note: str) -> CardView:
    card = await cards.find(card_no, lock=True)
    return await cards.shown(await service.revoke(cards.session, card, reason=reason, actor=cards.caller.subject,
                                                  note=note))


async def reissue(cards: CardRepository, card_no: str, *, reason: str, note: str | None, today: date,
                  validity_years: int) -> CardView:
    card = await cards.find(card_no, lock=True)
    new = await service.reissue(cards.session, card, reason=reason, actor=cards.caller.subject, note=note, today=today,
                                validity_years=validity_years)
    return await cards.shown(new)


async def ecard(cards: CardRepository, signer: DocumentSigner, card_no: str, *, today: date) -> tuple[CardView, str]:
    """The card and its signed QR payload; 409 for a card that is not valid (no e-card is made for it)."""
    card = await cards.find(card_no)
    status = service.effective_status(card, today)
    if status != "active":
        name = service.STATUS_NAMES.get(status, status)
        raise Conflict(Text(f"卡 {card.card_no} 当前{name}，不能生成电子卡", f"card {card.card_no} is {status}: no e-card is "
                            "made for it"), code=f"card-{status}")
    face = EcardFace(card.card_no, card.masked_name, card.region_code, card.issued_on, card.valid_until)
    if signer.algorithm == "SM2":
        # Pure-Python SM2 takes ~15 ms of CPU a signature: in a thread (with a plain copy of what
        # the e-card shows, no ORM object), so that the loop keeps answering the desks meanwhile.
        payload = await asyncio.to_thread(sign_ecard, face, signer)
    else:
        payload = sign_ecard(face, signer)
    return await cards.shown(card, how="ecard"), payload
