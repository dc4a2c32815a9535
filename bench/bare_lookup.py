"""The baseline of bench/card_lookup.py: a bare FastAPI app that reads a card with asyncpg.

No authentication, no logging, no metrics, no access log: one indexed SELECT of the same row and
its columns as JSON. What the HIS lookup costs beyond this is what Tefu adds.

    BARE_DATABASE_URL=postgresql://... uvicorn --factory bare_lookup:create_app --port 8096
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, HTTPException

QUERY = ("SELECT id, card_no, status, status_reason, masked_name, sex, birth_year, id_last4, region_code, services, "
         "privileges, valid_until FROM card WHERE card_no = $1")


def create_app() -> FastAPI:
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        state["pool"] = await asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=2, max_size=10)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/cards/{card_no}")
    async def card(card_no: str) -> dict:
        row = await state["pool"].fetchrow(QUERY, card_no)
        if row is None:
            raise HTTPException(404)
        return {**dict(row), "valid_until": row["valid_until"].isoformat()}

    return app
