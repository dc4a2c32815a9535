"""报表报送提醒: the statistics returns coming due for a region, and those produced.

The supervision service knows which returns apply to a region, the period each covers and when it
is due; it produces a return (gathering the figures with the person's token) and keeps it. The
console lists, produces on request, and passes the workbook through.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData

from tefu_console.services import Apis, parts

NOTICE = "报表已生成并已保存，可下载 XLSX；标明“人工填报”的行由区卫生健康局填写。"


def returns_url(region: str, on: str, **extra: str) -> str:
    query = {k: v for k, v in {"region": region, "on": on, **extra}.items() if v}
    return "/returns" + (f"?{urlencode(query)}" if query else "")


async def returns_page(apis: Apis, region: str, on: str, cursor: str | None, limit: int) -> dict[str, Any]:
    found = await parts(due=apis.supervision.get("/v1/returns/due", region=region, on=on, limit=100),
                        produced=apis.supervision.get("/v1/returns", region=region, cursor=cursor, limit=limit))
    return found


def produce_body(form: FormData) -> dict[str, str]:
    return {key: str(form.get(key) or "").strip() for key in ("return_id", "region", "period")}


async def produce(apis: Apis, body: dict[str, str]) -> Any:
    return await apis.supervision.send("POST", "/v1/returns", body)


async def produced(apis: Apis, produced_id: int) -> Any:
    return await apis.supervision.get(f"/v1/returns/{produced_id}")
