"""Cards as clerks and inspectors read them: always limited to the caller's region, always logged.

Every method that returns a card (its holder's name, ID digits, family) records the read in the
lookup log in the request's own transaction, so a read that answered is never missing from the
log. A hospital desk's lookups go another way, for speed (lookup/store.py), into the same log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import select

from tefu_common.auth import Role, Scope, require
from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_medical_priority.access_log.models import lookup_log
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.cards.numbers import parse_card_no

@dataclass(frozen=True)
class CardView:
    """A card as shown, with the number of the card it replaced (reissue)."""

    card: Card
    replaces: str | None


class CardRepository(Repository):
    access_log = lookup_log

    async def find(self, card_no: str, *, lock: bool = False) -> Card:
        """The card of the caller's region by number, for a change (404 otherwise, as if it did not
        exist). Not logged: what the change shows is (:meth:`shown`)."""
        statement = select(Card).where(Card.card_no == parse_card_no(card_no))
        if lock and self.session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update()
        card = await self.session.scalar(statement)
        if card is None or not self.covers(card.region_code):
            raise NotFound(Text("没有这张卡（或不在你的辖区）", "no such card (or not in your region)"), code="card-not-found")
        return card

    async def record(self, card_no: str) -> CardView:
        """One card in full, logged."""
        return await self.shown(await self.find(card_no))

    async def shown(self, card: Card, *, how: str = "record") -> CardView:
        """``card`` as it is shown to the caller, the read logged."""
        await self._log([card], how)
        return (await self._views([card]))[0]

    async def page(self, page: PageRequest, *, status: str | None = None, family_id: int | None = None,
                   member_id: int | None = None) -> tuple[list[CardView], str | None]:
        """A page of the region's cards, oldest first; every card shown is logged."""
        statement = self.scoped(select(Card), Card.region_code)
        if status:
            statement = statement.where(Card.status == status)
        if family_id is not None:
            statement = statement.where(Card.family_id == family_id)
        if member_id is not None:
            statement = statement.where(Card.member_id == member_id)
        cards, next_cursor = await keyset_page(self.session, statement, key=[Card.id], page=page)
        await self._log(cards, "list")
        return await self._views(cards), next_cursor

    async def history(self, card_no: str, page: PageRequest) -> tuple[list[CardEvent], str | None]:
        """A page of the card's changes of status, oldest first; the read is logged."""
        card = await self.find(card_no)
        events, next_cursor = await keyset_page(self.session, select(CardEvent).where(CardEvent.card_id == card.id),
                                                key=[CardEvent.id], page=page)
        await self._log([card], "history")
        return events, next_cursor

    async def _log(self, cards: Iterable[Card], how: str) -> None:
        await self.log_reads({"how": how, "card_id": card.id, "region_code": card.region_code,
                              "outcome": "valid" if card.status == "active" else "invalid"} for card in cards)

    async def _views(self, cards: list[Card]) -> list[CardView]:
        replaced = {card.replaces_card_id for card in cards if card.replaces_card_id}
        numbers = dict((await self.session.execute(select(Card.id, Card.card_no).where(Card.id.in_(replaced)))).all()) \
            if replaced else {}
        return [CardView(card, numbers.get(card.replaces_card_id) if card.replaces_card_id else None) for card in cards]


Cards = Annotated[CardRepository, CardRepository.dependency(require(Scope.cards_read))]
"""The cards of the caller's region, for anyone who may read cards (clerks, inspectors, services)."""
ManagedCards = Annotated[CardRepository,
                         CardRepository.dependency(require(Scope.cards_manage, roles=[Role.clerk, Role.admin]))]
"""The cards of the caller's region, for clerks and admins who issue and change them."""
