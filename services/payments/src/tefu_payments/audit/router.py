"""``GET /v1/access-log``: who read which personal data in payments, for auditors of a region.

The shared router (tefu_common.access_log) gives the region scoping, the shared filters and the
pages; payments adds its own filters (whose data, which batch, what action) and shows each entry
with the people it named.
"""

from __future__ import annotations

from tefu_common.access_log import access_log_router
from tefu_payments.access_log.models import PAYMENTS_CHAIN, PAYMENTS_LOG
from tefu_payments.audit.service import EXAMPLE, AccessLogOut, filters, present

router = access_log_router(
    log=PAYMENTS_LOG, chain=PAYMENTS_CHAIN, item=AccessLogOut, filters=filters, present=present, example=EXAMPLE,
    description=(
        "Auditors and admins (`audit:read`) of a region: every pull of a disbursement file (names, ID numbers and "
        "bank accounts in full; first or later pull), every return file posted (applied or refused), every page of "
        "a batch's lines and every person's payment history read: who, for which institution, when, which batch "
        "and people, how many lines, what was shown, the file's SHA-256 and the request id. Entries about batches "
        "and people of the caller's region, oldest first, in pages; filter by reader (`subject`, `institution`), "
        "time (`since`, `until`), person (`member_id`), `batch_id` and `action`."),
)
