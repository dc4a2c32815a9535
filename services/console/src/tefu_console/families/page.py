"""A family's page: everything about it, each part from the service that holds it."""

from __future__ import annotations

from typing import Any

from tefu_console.services import Apis, parts


async def _payments(apis: Apis, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for member in members:
        page = await apis.payments.get(f"/v1/people/{member['id']}/payments", limit=50)
        rows.extend({**item, "member_name": member["name"], "member_role": member["role"]} for item in page["items"])
    return sorted(rows, key=lambda r: (r["month"], r["reference"]), reverse=True)


async def family_page(apis: Apis, family_id: int) -> dict[str, Any]:
    family = await apis.registry.get(f"/v1/families/{family_id}")  # not found or not in region: the 404 page
    members = [m for m in family["members"]]
    found = await parts(
        history=apis.registry.get(f"/v1/families/{family_id}/history", limit=200),
        evaluation=apis.eligibility.get(f"/v1/families/{family_id}/evaluation", on_the_day="true"),
        cards=apis.cards.get("/v1/cards", family_id=family_id, limit=100),
        payments=_payments(apis, members),
        liaisons=apis.registry.get(f"/v1/families/{family_id}/liaisons", limit=100),
        contacts=apis.registry.get(f"/v1/families/{family_id}/contacts", limit=100),
        duties=apis.registry.get(f"/v1/families/{family_id}/liaison-duties"),
    )
    return {"family": family, **found}
