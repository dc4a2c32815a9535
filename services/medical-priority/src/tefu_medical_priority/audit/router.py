"""``GET /v1/access-log``: every read of a card (hospital lookups, clerks' reads), for auditors."""

from __future__ import annotations

from tefu_common.access_log import access_log_router
from tefu_medical_priority.access_log.models import lookup_chain, lookup_log
from tefu_medical_priority.audit.service import LookupLogOut, card_filter, present

router = access_log_router(
    log=lookup_log, chain=lookup_chain, item=LookupLogOut, filters=card_filter, present=present,
    example=LookupLogOut.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    description=(
        "Auditors and admins: who read which card, when, how (`card_no`, `qr`, `id_number` at a hospital desk; "
        "`record`, `list`, `history`, `ecard`, `visits` by clerks, inspectors and hospitals) and what they learnt "
        "(`outcome`: valid, invalid, not_found, rate_limited, shown), oldest first, in pages. Auditors of a region "
        "see the reads of their region's cards; lookups of numbers that match no card (`not_found`, a sign of "
        "guessing) and rate-limited ones have no region and are shown to national auditors only. Filter by "
        "`card_no`, `subject`, `institution` (the hospital code), `since`, `until`."),
)
