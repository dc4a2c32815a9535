"""The desk's card cache (lookup/cache.py) and the lookup's fast route (tefu_common.fast_routes).

A card looked up is answered from memory the next time, and any change to it, made by the
service or by hand in the database, reaches the desk within the bound the cache states; a lost
listening connection empties the cache. The fast route answers exactly as the app's own route.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tefu_common.db import Database
from tefu_common.testing import app_client
from tefu_medical_priority import main
from tefu_medical_priority.cards.numbers import check_character
from tefu_medical_priority.lookup.cache import LISTENER_NAME, CardCache

BOUND_SECONDS = 2.0  # far above the milliseconds a notice takes here, far below the cache's max age


def pg_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the cache listens to PostgreSQL's notifications; the embedded default reads every card")


async def sql(database_url: str, statement: str, **params: Any) -> list[Any]:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await database.dispose()


def cache_of(client: httpx.AsyncClient) -> CardCache:
    return client._transport.app.state.desk.store.cache  # type: ignore[attr-defined]


async def listening(cache: CardCache) -> None:
    for _ in range(200):
        if cache.listening:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the desk's cache never started listening")


async def until(check: Any, seconds: float = BOUND_SECONDS) -> float:
    """Seconds until ``await check()`` is true (AssertionError past ``seconds``)."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_card_looked_up_is_answered_from_memory_until_it_changes(client, issue_card, hospital, desk, auth,
                                                                          database_url):
    pg_only(database_url)
    cache = cache_of(client)
    await listening(cache)
    await hospital()
    card_no = await issue_card(name="李秀英")

    async def holder() -> str:
        response = await client.get(f"/v1/cards/{card_no}", headers=desk())
        assert response.status_code == 200, response.text
        return response.json()["holder"]["name"]

    assert await holder() == "李*英"
    hits = cache.hits
    # Changed in the database with the notices switched off: the desk still answers from memory.
    await sql(database_url, "ALTER TABLE card DISABLE TRIGGER desk_card_changed")
    try:
        await sql(database_url, "UPDATE card SET masked_name = '李*华' WHERE card_no = :no", no=card_no)
        assert await holder() == "李*英"
        assert cache.hits == hits + 1
    finally:
        await sql(database_url, "ALTER TABLE card ENABLE TRIGGER desk_card_changed")

    # A change with its notice, by hand in the database: the next answers show it.
    await sql(database_url, "UPDATE card SET masked_name = '李*芳' WHERE card_no = :no", no=card_no)
    await until(lambda: _equals(holder(), "李*芳"))

    # A revocation through the service: valid no more, at once.
    clerk = auth(role="clerk", region="420102")
    revoked = await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "eligibility_lost", "note": "核查不符"},
                                headers=clerk)
    assert revoked.status_code == 200, revoked.text

    async def invalid() -> bool:
        return (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()["valid"] is False

    await until(invalid)


async def _equals(answer: Any, expected: Any) -> bool:
    return await answer == expected


async def test_the_parents_facts_of_a_family_reach_the_desk(client, issue_card, hospital, desk, database_url):
    pg_only(database_url)
    cache = cache_of(client)
    await listening(cache)
    await hospital()
    card_no = await issue_card(role="mother", family_id=97_001, member_id=97_002)

    async def reason() -> str:
        return (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()["liaison_reason"]

    assert await reason() == "尚未核对持卡人的监护情况，暂不提供联系人"  # not checked yet, and now in memory
    await sql(database_url, "INSERT INTO family_parents (family_id, mother_alive, father_alive, checked_on, checked_at) "
                            "VALUES (97001, true, true, CURRENT_DATE, now())")
    await until(lambda: _equals(reason(), "登记中持卡人另有监护人，不提供联系人"))
    await sql(database_url, "UPDATE family_parents SET father_alive = false WHERE family_id = 97001")
    await until(lambda: _equals(reason(), "登记中持卡人没有其他监护人，但该家庭尚未安排联系人：请联系持卡人户籍地的卫生健康部门"))


async def test_a_lost_listener_empties_the_cache_and_it_listens_again(client, issue_card, hospital, desk, database_url):
    pg_only(database_url)
    cache = cache_of(client)
    await listening(cache)
    await hospital()
    card_no = await issue_card(name="王建国", role="father", sex="male")
    assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    assert len(cache) == 1
    await sql(database_url, "ALTER TABLE card DISABLE TRIGGER desk_card_changed")
    try:
        await sql(database_url, "UPDATE card SET masked_name = '王*民' WHERE card_no = :no", no=card_no)
        # The listening connection dies: what it might have missed is forgotten, at once.
        killed = await sql(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND application_name = :name",
                           name=LISTENER_NAME)
        assert killed, "no listening connection found"
        await until(lambda: _true(not cache.listening or len(cache) == 0))
        body = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
        assert body["holder"]["name"] == "王*民"
    finally:
        await sql(database_url, "ALTER TABLE card ENABLE TRIGGER desk_card_changed")
    await listening(cache)  # back, after its pause
    assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    assert len(cache) == 1


async def _true(value: bool) -> bool:
    return value


def test_a_row_read_before_a_notice_is_not_kept():
    cache = CardCache(size=10)
    cache.listening = True
    row = {"card_no": "420102000000000X", "family_id": 7, "status": "active"}
    generation = cache.generation  # a read starts
    cache.noticed("c:420102000000000X")  # the card changes while the read is on its way
    cache.put(row, generation)
    assert cache.get(row["card_no"]) is None
    cache.put(row, cache.generation)
    assert cache.get(row["card_no"]) == row
    cache.noticed("f:8,f:7")  # its family's parents changed
    assert cache.get(row["card_no"]) is None and len(cache) == 0
    cache.put(row, cache.generation)
    cache.noticed("f:*")  # a bulk write of parents
    assert len(cache) == 0
    cache.listening = False  # not listening: nothing is kept or served
    cache.put(row, cache.generation)
    assert cache.get(row["card_no"]) is None


def test_the_cache_holds_at_most_its_size_and_its_age():
    cache = CardCache(size=2, max_age=0.05)
    cache.listening = True
    for n in range(3):
        cache.put({"card_no": str(n), "family_id": n}, cache.generation)
    assert len(cache) == 2 and cache.get("0") is None and cache.get("2") is not None
    time.sleep(0.06)
    assert cache.get("2") is None


def answered(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body, but for what differs on every request (its id)."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, {k: v for k, v in response.headers.items() if k != "x-request-id"}, body


async def test_the_fast_route_answers_as_the_apps_own_route(client, issue_card, hospital, desk, auth, settings,
                                                            monkeypatch):
    await hospital()
    await hospital("H420106009", active=False)
    card_no = await issue_card()
    unknown = card_no[:6] + ("0000000001" if card_no[6:16] != "0000000001" else "0000000002")
    unknown += check_character(unknown)
    requests = [
        (f"/v1/cards/{card_no}", desk()),  # 200
        (f"/v1/cards/{unknown}", desk()),  # 404 card-not-found
        (f"/v1/cards/{card_no[:-1]}{'0' if card_no[-1] != '0' else '1'}", desk()),  # 422 check character
        (f"/v1/cards/{card_no}", {}),  # 401
        (f"/v1/cards/{card_no}", auth(role="clerk", region="420102")),  # 403 role
        (f"/v1/cards/{card_no}", desk("H420106009")),  # 403 inactive hospital
        (f"/v1/cards/{card_no}", {**desk(), "Accept-Language": "en"}),
    ]

    async def declined(scope: Any, receive: Any, send: Any) -> bool:
        return False

    monkeypatch.setattr(main, "fast_check_card", declined)
    async with app_client(main.create_app(settings, configure_logs=False)) as plain:
        for path, headers in requests:
            fast, own = await client.get(path, headers=headers), await plain.get(path, headers=headers)
            assert answered(fast) == answered(own), path
    statuses = [(await client.get(path, headers=headers)).status_code for path, headers in requests]
    assert statuses == [200, 404, 422, 401, 403, 403, 200]
    metrics = (await client.get("/metrics")).text
    assert 'route="/v1/cards/{card_no}"' in metrics and card_no not in metrics
