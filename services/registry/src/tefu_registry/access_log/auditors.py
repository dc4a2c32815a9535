"""``GET /v1/access-log`` (and ``/verify``, its hash chain): the registry's access log, for the auditors (and admins) of a region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, true

from tefu_common.access_log import Narrowing, access_log_router
from tefu_common.ids import MAX_ROW_ID
from tefu_registry.access_log.models import ACCESS_CHAIN, ACCESS_LOG, AccessLogEntry, AccessLogFamily

EXAMPLE = {
    "id": 1024, "at": "2026-11-23T08:15:02.118000Z", "subject": "clerk-zhoucun-3", "role": "clerk",
    "institution": None, "family_id": 17, "region_code": "370306", "endpoint": "GET /v1/families/{family_id}",
    "request_id": "5f0c6e0f3c1d4c8e9a4c2b7d1e0f9a3b",
}


class AccessLogOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: int = Field(description="The read: its entry in the log, sealed in the hash chain. A read that showed several "
                                "families (a page of the register, a chunk of the facts stream) is one entry, listed "
                                "once per family with the same id.")
    at: datetime
    subject: str = Field(description="Who read: the token's subject (a person, or `client:<id>` for a machine).")
    role: str
    institution: str | None = Field(description="The hospital or agency a machine client acted for.")
    family_id: int = Field(description="The family whose personal data was shown.")
    region_code: str | None = Field(description="The family's region when it was read.")
    endpoint: str = Field(description="Method and route template, e.g. `GET /v1/families/{family_id}`.")
    request_id: str | None


def reads(narrowing: Narrowing) -> list[Any]:
    """One item per family a read showed, with the family's region when it was read (what an
    auditor's region is matched against), in two parts, each its own window of the page:

    - entries naming one family, in id order;
    - the families of entries of several (``access_log_family``), read entry by entry: the
      entries of several that pass the shared filters, in id order from the page's cursor on, and
      for each its families in the caller's region (a range of the index on entry and region),
      a page's worth at most. Entries of several are few (a bulk pass of a million families
      writes a few hundred), so the filters on who and when cost a scan of those, however many
      families the log names; the same filters on a join of every family to its entry would make
      the database walk every family for a subject that never read in bulk.
    """
    entry, family = AccessLogEntry.__table__, AccessLogFamily.__table__
    shared = [entry.c.at, entry.c.subject, entry.c.role, entry.c.institution, entry.c.endpoint, entry.c.request_id]

    one = select(entry.c.id, *shared, entry.c.family_id, entry.c.region_code).where(entry.c.family_id.is_not(None)).subquery()
    single = narrowing.window(narrowing.of_items(narrowing.of_entries(select(one), one), one), [one.c.id, one.c.family_id])

    if narrowing.dialect != "postgresql":  # no LATERAL: every family joined to its entry (an embedded log is small)
        rows = (select(family.c.entry_id.label("id"), *shared, family.c.family_id, family.c.region_code)
                .select_from(family).join(entry, entry.c.id == family.c.entry_id).subquery())
        return [single, narrowing.window(narrowing.of_items(narrowing.of_entries(select(rows), rows), rows),
                                         [rows.c.id, rows.c.family_id])]
    bulk = narrowing.of_entries(select(entry.c.id, *shared).where(entry.c.family_id.is_(None)), entry)
    after = narrowing.page.after
    if after:
        bulk = bulk.where(entry.c.id >= after[0])  # the cursor is (id, family_id): earlier entries are done
    bulk = bulk.subquery("bulk")
    named = select(family.c.family_id, family.c.region_code).where(family.c.entry_id == bulk.c.id)
    named = narrowing.window(narrowing.of_items(named, family), [family.c.entry_id, family.c.family_id]).lateral("named")
    several = select(bulk.c.id, *(bulk.c[column.name] for column in shared), named.c.family_id, named.c.region_code) \
        .select_from(bulk.join(named, true()))
    several = narrowing.window(several, [bulk.c.id, named.c.family_id])
    return [single, several]


async def _family_filter(family_id: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="Only the reads of this family.")) -> list[Any]:
    return [lambda items: items.c.family_id == family_id] if family_id is not None else []


router = access_log_router(
    log=ACCESS_LOG,
    chain=ACCESS_CHAIN,
    item=AccessLogOut,
    filters=_family_filter,
    listing=reads,
    order=("id", "family_id"),
    example=EXAMPLE,
    description=(
        "审计员和管理员查看本辖区家庭个人信息的每一次读取：谁、何时、代表哪个机构、通过哪个接口、读了哪户家庭。"
        "Auditors and admins only (others get 403); only reads of families in the caller's region appear. "
        "One item per family a read showed: a read of several families (a page of the register, a chunk of the "
        "facts stream, a bulk identity read) is one entry of the log, listed once for each of its families, with "
        "the same `id`, and an auditor sees those of its families that lie in the auditor's region. "
        "Filters combine: `family_id`, `subject`, `institution`, `since`/`until`. Oldest first (by `id`, then "
        "`family_id`), in pages (`cursor`, `limit`)."
    ),
)
