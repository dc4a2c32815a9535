"""The list of import jobs: the caller's region only (a county sees its townships'), newest first, in pages, by status."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from tefu_common.db import Database
from tefu_common.testing import bearer
from tefu_registry.imports.models import ImportJob

from .test_imports import csv_bytes, rows


async def upload(client, token, content: bytes, *, region: str, subject: str, name: str = "families.csv") -> dict:
    response = await client.post("/v1/imports", files={"file": (name, content, "text/csv")},
                                 headers=bearer(token(role="clerk", region=region, subject=subject)))
    assert response.status_code == 202, response.text
    return response.json()


async def listed(client, token, *, at: str, subject: str = "reader", role: str = "clerk", **params) -> dict:
    """The list as a caller of region ``at`` sees it."""
    response = await client.get("/v1/imports", params=params,
                                headers=bearer(token(role=role, region=at, subject=subject)))
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_region_sees_its_own_jobs_and_a_county_sees_its_townships(client, token):
    county = await upload(client, token, csv_bytes(rows(1, start=100)), region="370306", subject="clerk-county")
    # A township clerk's file: its rows lie outside the township and are rejected, but the job is the township's.
    township = await upload(client, token, csv_bytes(rows(1, start=200)), region="370306001", subject="clerk-town",
                            name="街道.csv")
    elsewhere = await upload(client, token, csv_bytes(rows(1, region="420102", start=300)), region="420102",
                             subject="clerk-wuhan")

    seen = await listed(client, token, at="370306")
    assert [j["id"] for j in seen["items"]] == [township["id"], county["id"]] and seen["next_cursor"] is None
    # Each item is the job as GET /v1/imports/{id} answers it.
    one = (await client.get(f"/v1/imports/{township['id']}", headers=bearer(token(role="clerk", region="370306")))).json()
    assert seen["items"][0] == one and one["filename"] == "街道.csv" and one["status"] == "finished"
    assert (await listed(client, token, at="370306001"))["items"] == [one]
    assert [j["id"] for j in (await listed(client, token, at="420102"))["items"]] == [elsewhere["id"]]
    assert (await listed(client, token, at="370303"))["items"] == []  # a neighbouring district: nothing
    everywhere = await listed(client, token, at="000000", role="admin")
    assert [j["id"] for j in everywhere["items"]] == [elsewhere["id"], township["id"], county["id"]]

    # `region` narrows within the caller's region; it never widens it.
    narrowed = await listed(client, token, at="370306", region="370306001")
    assert [j["id"] for j in narrowed["items"]] == [township["id"]]
    assert (await listed(client, token, at="370306", region="420102"))["items"] == []

    mine = await listed(client, token, at="370306", subject="clerk-county", created_by="me")
    assert [j["id"] for j in mine["items"]] == [county["id"]]
    theirs = await listed(client, token, at="370306", created_by="clerk-town")
    assert [j["id"] for j in theirs["items"]] == [township["id"]]


async def test_pages_newest_first_with_the_suites_cursor(client, token):
    made = [await upload(client, token, csv_bytes(rows(1, start=1000 + i)), region="370306", subject="clerk-zhang")
            for i in range(5)]
    newest_first = [j["id"] for j in reversed(made)]
    shown, cursor = [], None
    for _ in range(5):
        page = await listed(client, token, at="370306", limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        shown += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert shown == newest_first and cursor is None
    # The last page is full and still says it is the last (no empty page to fetch).
    assert (await listed(client, token, at="370306", limit=5))["next_cursor"] is None
    bad = await client.get("/v1/imports", params={"cursor": "not-a-cursor"}, headers=bearer(token(role="clerk")))
    assert bad.status_code == 422 and (bad.json()["code"], bad.json()["field"]) == ("invalid-cursor", "query.cursor")


async def test_status_filter_one_or_several_and_the_interrupted_jobs(client, token, settings):
    ids = [(await upload(client, token, csv_bytes(rows(1, start=2000 + i)), region="370306", subject="clerk-zhang"))["id"]
           for i in range(5)]
    finished, failed, queued, running, stalled = ids
    now = datetime.now(timezone.utc)
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            for job_id, values in [
                (failed, {"status": "failed", "error": "导入因意外错误中断"}),
                (queued, {"status": "queued", "finished_at": None, "heartbeat_at": now}),
                (running, {"status": "running", "finished_at": None, "heartbeat_at": now}),
                # Cut off by a restart: still "running", but its heartbeat is an hour old.
                (stalled, {"status": "running", "finished_at": None, "heartbeat_at": now - timedelta(hours=1)}),
            ]:
                await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
            await session.commit()
    finally:
        await database.dispose()

    async def ids_of(*statuses: str) -> list[int]:
        return [j["id"] for j in (await listed(client, token, at="370306", status=list(statuses)))["items"]]

    assert await ids_of("finished") == [finished]
    assert await ids_of("failed") == [failed]
    assert await ids_of("queued", "running") == [running, queued]  # still moving: not the interrupted one
    assert await ids_of("stalled") == [stalled]
    assert await ids_of("running", "stalled", "failed") == [stalled, running, failed]
    assert await ids_of() == [stalled, running, queued, failed, finished]
    [shown] = (await listed(client, token, at="370306", status="stalled"))["items"]
    assert (shown["status"], shown["stalled"]) == ("running", True)
    assert (await listed(client, token, at="420102", status="stalled"))["items"] == []

    unknown = await client.get("/v1/imports", params={"status": "done"}, headers=bearer(token(role="clerk")))
    assert unknown.status_code == 422 and unknown.json()["field"].startswith("query.status")


async def test_who_may_list(client, token):
    await upload(client, token, csv_bytes(rows(1, start=3000)), region="370306", subject="clerk-zhang")
    assert len((await listed(client, token, at="370306", role="approver"))["items"]) == 1
    hospital = await client.get("/v1/imports", headers=bearer(token(role="hospital", region="370306", hospital="H370306001")))
    assert hospital.status_code == 403
    assert (await client.get("/v1/imports")).status_code == 401
