"""At the hospital desk, a holder with no guardian on record comes with the family's liaisons
(Hunan 湘政办发〔2023〕36号 item 12, Zhoucun 周政发〔2018〕85号 二（五）5: the liaison signs the consent).

registry (liaisons, change feed) → medical-priority (its own copy of the current liaisons and of
the parents' standing) → the desk, which never calls the registry.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tefu_common.testing import bearer, migrated_database, mint_token

from .conftest import ROOT, medical_priority_env, start_service
from .families import id_number, register
from .test_medical_priority import cards_of, wait_for

pytestmark = pytest.mark.processes

REGION = "420113"  # 汉南区: no other test registers families here
HOSPITAL = "H420113001"
CHINA = timezone(timedelta(hours=8))
TOWNSHIP = {"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "汉南区纱帽街道卫生健康办公室"}
VILLAGE = {"post": "village", "name": "孙丽", "phone": "13700000003", "unit": "汉南区某社区居委会"}
LEADER = {"post": "county_leader", "name": "周伟", "phone": "13700000009", "unit": "汉南区人民政府"}
NEW_TOWNSHIP = {"post": "township", "name": "钱进", "phone": "13700000002", "unit": "汉南区纱帽街道卫生健康办公室"}


def family_body(serial: int, mother: str, father: str, *, father_died: str | None = None) -> dict:
    father_body = {"name": father, "id_number": id_number(REGION, "1959-11-12", serial * 2 + 1),
                   **({"death_date": father_died} if father_died else {})}
    return {
        "region_code": REGION, "hukou_type": "urban", "address": "汉南区纱帽街道 8 号",
        "mother": {"name": mother, "id_number": id_number(REGION, "1961-05-06", serial * 2)},
        "father": father_body,
        "child": {"name": f"{father[0]}小峰", "birth_date": "1987-04-01"},
        "events": [{"kind": "child_died", "occurred_on": "2016-09-20"}],
    }


def assign(registry: str, clerk: dict, family_id: int, *liaisons: dict, on) -> None:  # type: ignore[no-untyped-def]
    response = httpx.put(f"{registry}/v1/families/{family_id}/liaisons", headers=clerk,
                         json={"liaisons": [{**l, "assigned_on": on.isoformat()} for l in liaisons]})
    assert response.status_code == 200, response.text


def desk_view(liaisons: list[dict]) -> list[tuple[str, str, str, str]]:
    return [(l["post"], l["post_name"], l["name"], l["work_phone"]) for l in liaisons]


def put_hospital(url: str, signing_key) -> None:  # type: ignore[no-untyped-def]
    admin = bearer(mint_token(signing_key, role="admin", region="420000"))
    response = httpx.put(f"{url}/v1/hospitals/{HOSPITAL}", headers=admin, json={
        "name": "武汉市汉南区人民医院", "region_code": REGION, "level": "二级甲等", "designated": True,
        "fee_waivers": ["outpatient_registration"]})
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def desk(suite) -> dict:  # type: ignore[no-untyped-def]
    """The headers of the HIS of a hospital in the suite's directory."""
    put_hospital(suite.url("medical-priority"), suite.signing_key)
    return bearer(mint_token(suite.signing_key, role="hospital", region=REGION, hospital=HOSPITAL, subject="his-hn"))


def widowed_family(suite, serial: int, mother: str, father: str) -> dict:  # type: ignore[no-untyped-def]
    """A family whose father died before it was registered, its three liaisons assigned a month ago."""
    registry = suite.url("registry")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hn")
    family = register(registry, clerk_token, family_body(serial, mother, father, father_died="2021-02-03"))
    today = datetime.now(CHINA).date()
    assign(registry, bearer(clerk_token), family["id"], VILLAGE, TOWNSHIP, LEADER, on=today - timedelta(days=30))
    return family


def test_a_widow_at_the_desk_comes_with_the_family_liaisons_and_a_hand_over_reaches_it(suite, desk):
    registry, cards_url = suite.url("registry"), suite.url("medical-priority")
    widowed = widowed_family(suite, 1, "郑秀兰", "王国强")
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hn"))
    held = wait_for("the mother's card", lambda: cards_of(cards_url, clerk, widowed["id"], "active"))
    assert [card["holder"]["role"] for card in held] == ["mother"]  # the father died: no card for him
    card_no = held[0]["card_no"]

    answer = wait_for("the liaisons at the desk", lambda: (
        check := httpx.get(f"{cards_url}/v1/cards/{card_no}", headers=desk).json())["liaisons"] and check)
    assert answer["valid"] is True
    assert desk_view(answer["liaisons"]) == [("township", "街镇联系人", "赵敏", "13700000001"),
                                             ("village", "村（居）联系人", "孙丽", "13700000003"),
                                             ("county_leader", "县级领导干部联系人", "周伟", "13700000009")]
    assert answer["liaisons"][0]["unit"] == "汉南区纱帽街道卫生健康办公室"
    assert answer["liaison_reason"].startswith("登记中持卡人没有其他监护人")
    assert "王国强" not in str(answer) and "去世" not in answer["liaison_reason"]  # nothing of the family

    # The township liaison hands over to a colleague today: the desk names the new one, not the old.
    assign(registry, clerk, widowed["id"], NEW_TOWNSHIP, on=datetime.now(CHINA).date())
    after = wait_for("the new township liaison at the desk", lambda: (
        check := httpx.get(f"{cards_url}/v1/cards/{card_no}", headers=desk).json())["liaisons"][0]["name"] != "赵敏"
        and check)
    assert desk_view(after["liaisons"]) == [("township", "街镇联系人", "钱进", "13700000002"),
                                            ("village", "村（居）联系人", "孙丽", "13700000003"),
                                            ("county_leader", "县级领导干部联系人", "周伟", "13700000009")]


def test_with_both_parents_alive_no_liaison_until_one_dies(suite, desk):
    registry, cards_url = suite.url("registry"), suite.url("medical-priority")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hn")
    clerk = bearer(clerk_token)
    family = register(registry, clerk_token, family_body(2, "何桂芳", "林建华"))
    assign(registry, clerk, family["id"], TOWNSHIP, VILLAGE, on=datetime.now(CHINA).date() - timedelta(days=10))
    held = wait_for("both parents' cards", lambda: len(cards_of(cards_url, clerk, family["id"], "active")) == 2
                    and cards_of(cards_url, clerk, family["id"], "active"))
    by_role = {card["holder"]["role"]: card["card_no"] for card in held}
    for card_no in by_role.values():
        answer = wait_for("the guardianship checked", lambda: (
            check := httpx.get(f"{cards_url}/v1/cards/{card_no}", headers=desk).json())["liaison_reason"]
            != "尚未核对持卡人的监护情况，暂不提供联系人" and check)
        assert answer["valid"] is True
        assert answer["liaisons"] == [] and answer["liaison_reason"] == "登记中持卡人另有监护人，不提供联系人"

    # The father dies: the mother has no guardian on record any more, and the desk names the liaisons.
    today = datetime.now(CHINA).date().isoformat()
    event = httpx.post(f"{registry}/v1/families/{family['id']}/events", headers=clerk,
                       json={"kind": "parent_died", "member": "father", "occurred_on": today})
    assert event.status_code == 201, event.text
    mother = wait_for("the liaisons at the mother's desk", lambda: (
        check := httpx.get(f"{cards_url}/v1/cards/{by_role['mother']}", headers=desk).json())["liaisons"] and check)
    assert desk_view(mother["liaisons"]) == [("township", "街镇联系人", "赵敏", "13700000001"),
                                             ("village", "村（居）联系人", "孙丽", "13700000003")]
    father = httpx.get(f"{cards_url}/v1/cards/{by_role['father']}", headers=desk).json()
    assert father["valid"] is False and father["liaisons"] == []


def test_a_service_started_later_replays_the_feed_and_knows_earlier_liaisons(suite, tmp_path):
    """A medical-priority installation started after the liaisons were assigned reads the feed from
    its start: its desk names them too. It replays every family of the register, hence the longer wait."""
    registry = suite.url("registry")
    widowed = widowed_family(suite, 3, "曹玉梅", "彭志刚")
    alembic_ini = ROOT / "services" / "medical-priority" / "alembic.ini"
    with migrated_database("late_medical_priority", tmp_path, alembic_ini) as database_url:
        env = {**suite.env_for("medical-priority", registry),
               **medical_priority_env(suite, registry, suite.url("eligibility"), "mp-started-later"),
               "TEFU_MEDICAL_PRIORITY_DATABASE_URL": database_url}
        late = start_service("medical-priority", env, tmp_path)
        try:
            put_hospital(late.url, suite.signing_key)
            clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hn"))
            desk = bearer(mint_token(suite.signing_key, role="hospital", region=REGION, hospital=HOSPITAL,
                                     subject="his-hn"))
            card_no = wait_for("the mother's card in the new installation",
                               lambda: cards_of(late.url, clerk, widowed["id"], "active"), timeout=300)[0]["card_no"]
            answer = wait_for("the liaisons at the new installation's desk", lambda: (
                check := httpx.get(f"{late.url}/v1/cards/{card_no}", headers=desk).json())["liaisons"] and check,
                timeout=300)
            assert desk_view(answer["liaisons"]) == [("township", "街镇联系人", "赵敏", "13700000001"),
                                                     ("village", "村（居）联系人", "孙丽", "13700000003"),
                                                     ("county_leader", "县级领导干部联系人", "周伟", "13700000009")]
        finally:
            late.stop()
