"""The desk reaches the family's liaison when the holder has no guardian on record: the rule, the
answer and the follower's queue mark. The rows the follower keeps are put in place here as it
writes them; the follower reading the registry is tested across processes (tests/test_desk_liaison.py).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text

from tefu_common.crypto_mode import crypto_mode
from tefu_common.field_crypto import TOKEN_VERSIONS
from tefu_common.db import Database
from tefu_medical_priority.liaisons.guardianship import guardian_on_record, parents_alive
from tefu_medical_priority.liaisons.models import FamilyLiaison, FamilyParents
from tefu_medical_priority.sync.follower import enqueue
from tefu_medical_priority.sync.models import PendingFamily

from .conftest import id_number

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
TOWNSHIP = {"id": 31, "post": "township", "name": "赵敏", "phone": "13700000001", "unit": "南郊镇卫生健康办公室"}
VILLAGE = {"id": 32, "post": "village", "name": "孙丽", "phone": "13700000003", "unit": "某村村委会"}
LEADER = {"id": 30, "post": "county_leader", "name": "钱进", "phone": "13700000009", "unit": "江岸区人民政府"}


@pytest.mark.parametrize(("role", "mother", "father", "expected"), [
    ("mother", True, True, True),
    ("mother", True, False, False),   # the father died
    ("mother", True, None, False),    # no father in the register
    ("father", True, True, True),
    ("father", False, True, False),
    ("father", None, True, False),
    ("child", True, False, True),     # one living parent is enough
    ("child", None, True, True),
    ("child", False, False, False),   # both parents died
    ("child", False, None, False),
    ("child", None, None, False),
])
def test_the_guardianship_rule(role, mother, father, expected):
    assert guardian_on_record(role, mother_alive=mother, father_alive=father) is expected


def test_parents_alive_reads_the_facts_document_on_the_day():
    def facts(*parents):
        return {"family_id": 1, "as_of": "2026-12-02", "family": {"parents": list(parents)}}

    mother = {"id": 1, "role": "mother", "death_date": None}
    father_died = {"id": 2, "role": "father", "death_date": "2026-03-01"}
    assert parents_alive(facts(mother, father_died), date(2026, 12, 2)) == (True, False)
    assert parents_alive(facts(mother, father_died), date(2026, 2, 28)) == (True, True)  # not yet on that day
    assert parents_alive(facts(father_died), date(2026, 12, 2)) == (None, False)  # no mother registered
    assert parents_alive(facts(), date(2026, 12, 2)) == (None, None)


@pytest.fixture
def keep(client, database_url: str):  # noqa: ARG001 - the client configures field encryption
    """``await keep(family_id, mother_alive=, father_alive=, liaisons=[...])``: the rows the follower keeps."""

    async def put(family_id: int, *, mother_alive: bool | None, father_alive: bool | None,
                  liaisons: list[dict] = ()) -> None:
        database = Database(database_url)
        try:
            async with database.sessionmaker() as session, session.begin():
                session.add(FamilyParents(family_id=family_id, mother_alive=mother_alive, father_alive=father_alive,
                                          checked_on=NOW.date(), checked_at=NOW))
                session.add_all(FamilyLiaison(family_id=family_id, assigned_on=date(2024, 3, 1), fetched_at=NOW, **l)
                                for l in liaisons)
        finally:
            await database.dispose()

    return put


async def test_a_holder_without_a_guardian_is_shown_the_family_liaisons(client, issue_card, hospital, desk, keep):
    await hospital()
    card_no = await issue_card(role="mother", name="李秀英", family_id=7001, id_no=id_number("420102", "1965-03-02", 701))
    await keep(7001, mother_alive=True, father_alive=False, liaisons=[VILLAGE, TOWNSHIP, LEADER])
    body = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
    assert body["liaisons"] == [
        {"post": "township", "post_name": "街镇联系人", "name": "赵敏", "work_phone": "13700000001",
         "unit": "南郊镇卫生健康办公室"},
        {"post": "village", "post_name": "村（居）联系人", "name": "孙丽", "work_phone": "13700000003", "unit": "某村村委会"},
        {"post": "county_leader", "post_name": "县级领导干部联系人", "name": "钱进", "work_phone": "13700000009",
         "unit": "江岸区人民政府"},
    ]
    assert body["liaison_reason"].startswith("登记中持卡人没有其他监护人")
    assert "去世" not in body["liaison_reason"] and "死亡" not in body["liaison_reason"]  # never who died
    english = (await client.get(f"/v1/cards/{card_no}", headers={**desk(), "Accept-Language": "en"})).json()
    assert english["liaison_reason"].startswith("the register holds no other guardian")
    # The same answer by name and ID number, and on the verify route.
    identity = {"name": "李秀英", "id_number": id_number("420102", "1965-03-02", 701)}
    found = await client.post("/v1/cards/lookup", json=identity, headers=desk())
    assert found.status_code == 200, found.text
    assert found.json()["card_no"] == card_no and found.json()["liaisons"] == body["liaisons"]
    assert (await client.post("/v1/cards/verify", json={"card_no": card_no}, headers=desk())).json()["liaisons"] \
        == body["liaisons"]


async def test_a_disabled_child_without_living_parents_and_one_with(client, issue_card, hospital, desk, keep):
    await hospital()
    orphan = await issue_card(role="child", name="周小华", birth="1990-05-01", sex="male", family_id=7002)
    await keep(7002, mother_alive=False, father_alive=None, liaisons=[TOWNSHIP])
    cared_for = await issue_card(role="child", name="吴小明", birth="1992-05-01", sex="male", family_id=7003)
    await keep(7003, mother_alive=False, father_alive=True, liaisons=[{**TOWNSHIP, "id": 41}])
    assert [l["name"] for l in (await client.get(f"/v1/cards/{orphan}", headers=desk())).json()["liaisons"]] == ["赵敏"]
    answer = (await client.get(f"/v1/cards/{cared_for}", headers=desk())).json()
    assert answer["liaisons"] == [] and answer["liaison_reason"] == "登记中持卡人另有监护人，不提供联系人"


async def test_no_liaison_yet_an_unchecked_family_and_a_card_that_is_not_valid(
        client, issue_card, hospital, desk, keep, auth):
    await hospital()
    alone = await issue_card(role="father", family_id=7004)
    await keep(7004, mother_alive=None, father_alive=True)
    answer = (await client.get(f"/v1/cards/{alone}", headers=desk())).json()
    assert answer["liaisons"] == [] and "尚未安排联系人" in answer["liaison_reason"]

    unchecked = await issue_card(role="mother", family_id=7005)
    answer = (await client.get(f"/v1/cards/{unchecked}", headers=desk())).json()
    assert answer["liaisons"] == [] and answer["liaison_reason"] == "尚未核对持卡人的监护情况，暂不提供联系人"

    revoked = await issue_card(role="mother", family_id=7006)
    await keep(7006, mother_alive=True, father_alive=False, liaisons=[{**TOWNSHIP, "id": 61}])
    response = await client.post(f"/v1/cards/{revoked}/revoke", json={"reason": "eligibility_lost", "note": "核查不符"},
                                 headers=auth(role="clerk", region="420102"))
    assert response.status_code == 200, response.text
    answer = (await client.get(f"/v1/cards/{revoked}", headers=desk())).json()
    assert answer["valid"] is False and answer["liaisons"] == [] and answer["liaison_reason"] == "此卡无效，不提供联系人"


async def test_the_liaison_phone_is_encrypted_at_rest(client, database_url, keep):  # noqa: ARG001
    await keep(7007, mother_alive=True, father_alive=False, liaisons=[{**TOWNSHIP, "id": 71}])
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            stored = (await connection.execute(text("SELECT phone FROM family_liaison WHERE id = 71"))).scalar_one()
        async with database.sessionmaker() as session:
            read = await session.scalar(select(FamilyLiaison.phone).where(FamilyLiaison.id == 71))
    finally:
        await database.dispose()
    assert "13700000001" not in stored and stored.startswith(f"{TOKEN_VERSIONS[crypto_mode()]}.")  # v1 AES, v2 SM4
    assert read == "13700000001"


async def test_a_liaison_change_marks_the_family_until_it_is_checked(client, database_url):  # noqa: ARG001
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            await enqueue(session, [1, 2], priority=0, reason="change", liaisons={2})
        async with database.sessionmaker() as session, session.begin():
            # A later change of another kind keeps the mark; a liaison change marks a family queued without it.
            await enqueue(session, [1, 2], priority=0, reason="change", liaisons={1})
            await enqueue(session, [2], priority=1, reason="expired")
        async with database.sessionmaker() as session:
            marks = dict((await session.execute(select(PendingFamily.family_id, PendingFamily.liaisons_due))).all())
    finally:
        await database.dispose()
    assert marks == {1: True, 2: True}


async def test_a_queued_family_without_a_liaison_change_is_not_marked(client, database_url):  # noqa: ARG001
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            await enqueue(session, [3], priority=0, reason="change")
        async with database.sessionmaker() as session:
            mark = await session.scalar(select(PendingFamily.liaisons_due).where(PendingFamily.family_id == 3))
    finally:
        await database.dispose()
    assert mark is False
