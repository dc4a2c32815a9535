"""Foshan's half-yearly returns across real processes: which are coming due for a district, and a
return produced with the inspector's own token from the registry, payments and medical priority."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "440604"  # 禅城区: no other test or example registers families or produces returns here


def _family(serial: int) -> dict:
    mother, father = (("陈美玲", "梁志强"), ("黄秀英", "何建华"))[serial]
    return {
        "region_code": REGION, "hukou_type": "urban", "address": "禅城区某街道 8 号",
        "honor_certificate": {"number": f"GRZ-CC{serial}", "issued_on": "1991-06-01"},
        "mother": {"name": mother, "id_number": id_number(REGION, "1963-05-12", serial * 2 + 2),
                   "bank_account": {"bank": "中国工商银行佛山禅城支行", "account_number": f"62220220{serial:011d}",
                                    "holder": mother}},
        "father": {"name": father, "id_number": id_number(REGION, "1961-08-03", serial * 2 + 1)},
        "child": {"name": f"{father[0]}小明", "birth_date": "1990-04-01"},
        "events": [{"kind": "child_died", "occurred_on": "2024-05-20"}],
    }


@pytest.fixture(scope="module")
def families(suite) -> list[dict]:
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-chancheng")
    registered = [register(suite.url("registry"), clerk, _family(serial)) for serial in (0, 1)]
    # 三（五）: the first family has a township liaison from July; the second none.
    assigned = httpx.put(f"{suite.url('registry')}/v1/families/{registered[0]['id']}/liaisons", headers=bearer(clerk),
                         json={"liaisons": [{"post": "township", "name": "罗志明", "phone": "13700000011",
                                             "unit": "祖庙街道卫生健康办公室", "assigned_on": "2026-07-01"}]})
    assert assigned.status_code == 200, assigned.text
    return registered


@pytest.fixture(scope="module")
def inspector(suite) -> dict[str, str]:
    return bearer(mint_token(suite.signing_key, role="auditor", region="440600", subject="inspector-foshan"))


def test_both_returns_come_due_and_one_produced_is_marked_so(suite, families, inspector):
    returns = f"{suite.url('supervision')}/v1/returns"
    due = httpx.get(f"{returns}/due", params={"region": REGION, "on": "2026-12-01"}, headers=inspector)
    assert due.status_code == 200, due.text
    coming = [i for i in due.json()["items"] if i["period"] == "2026-H2"]
    assert [(i["return_id"], i["due_on"], i["days_left"], i["status"]) for i in coming] == [
        ("foshan-annex5", "2026-12-25", 24, "due"), ("foshan-annex6", "2026-12-25", 24, "due")]

    answer = httpx.post(returns, json={"return_id": "foshan-annex6", "region": REGION, "period": "2026-H2"},
                        headers=inspector, timeout=120)
    assert answer.status_code == 201, answer.text
    produced = answer.json()
    header = produced["header"][0]
    assert header["value"] == 2 and header["sources"][0]["service"] == "registry"  # the two families registered
    rows = {row["id"]: row for row in produced["rows"]}
    assistance = rows["assistance_payment"]
    # Both families' parents are owed special assistance for each month begun; nothing was batched.
    assert assistance["available"] is True and assistance["value"] == 0
    assert "已发放 0 人次" in assistance["basis"] and assistance["sources"][0]["service"] == "payments"
    visits = rows["green_channel"]
    assert visits["available"] is True and visits["value"] == 0
    assert visits["sources"][0]["service"] == "medical-priority"
    liaisons = rows["liaison_support"]  # the registry's liaison compliance, asked for the half-year
    assert (liaisons["available"], liaisons["value"]) == (True, 1), liaisons
    assert "2 户中已确定帮扶联系人 1 户" in liaisons["basis"] and liaisons["sources"][0]["service"] == "registry"
    assert rows["psychological_care"]["fill"] == "manual" and rows["psychological_care"]["value"] is None
    assert rows["psychological_care"]["note"] == "由区卫生健康局填报"

    after = httpx.get(f"{returns}/due", params={"region": REGION, "on": "2026-12-01"}, headers=inspector).json()
    status = {i["return_id"]: (i["status"], i["produced_id"]) for i in after["items"] if i["period"] == "2026-H2"}
    assert status == {"foshan-annex5": ("due", None), "foshan-annex6": ("produced", produced["id"])}

    listed = httpx.get(returns, params={"region": REGION}, headers=inspector).json()
    assert produced["id"] in [r["id"] for r in listed["items"]]

    # 附件5: the rebirth grant is asked of payments beside the other benefits; none is due here.
    annex5 = httpx.post(returns, json={"return_id": "foshan-annex5", "region": REGION, "period": "2026-H2"},
                        headers=inspector, timeout=120)
    assert annex5.status_code == 201, annex5.text
    grant = {row["id"]: row for row in annex5.json()["rows"]}
    assert (grant["grant_paid"]["available"], grant["grant_paid"]["value"]) == (True, 0)
    assert grant["grant_paid_amount"]["value"] == "0.00"
    assert "rebirth_grant" in grant["grant_paid"]["sources"][0]["query"]["benefits"]

    workbook = httpx.get(f"{returns}/{produced['id']}", params={"format": "xlsx"}, headers=inspector)
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content))["附件6"]
    lines = list(sheet.iter_rows(values_only=True))
    counted = next(line for line in lines if line[0] is None and line[3] == "辖区计划生育特殊家庭")
    assert counted[5] == 2 and isinstance(counted[5], int) and counted[6] == "系统计算"
    assert "登记服务" in counted[7]
    assistance_line = next(line for line in lines if line[1] == "三（十）")
    assert assistance_line[0] == 10 and isinstance(assistance_line[5], int) and "资金发放服务" in assistance_line[7]


def test_a_clerk_is_refused_and_another_province_sees_nothing_of_foshan(suite, families, inspector):
    returns = f"{suite.url('supervision')}/v1/returns"
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION))
    assert httpx.get(f"{returns}/due", params={"region": REGION}, headers=clerk).status_code == 403
    assert httpx.post(returns, json={"return_id": "foshan-annex5", "region": REGION, "period": "2026-H2"},
                      headers=clerk).status_code == 403
    hubei = bearer(mint_token(suite.signing_key, role="auditor", region="420000"))
    refused = httpx.get(f"{returns}/due", params={"region": REGION}, headers=hubei)
    assert refused.status_code == 422 and refused.json()["code"] == "region-outside-scope"
    assert httpx.get(f"{returns}/due", headers=hubei).json()["items"] == []  # Hubei is asked for no returns
    assert httpx.get(returns, headers=hubei).json()["items"] == []
    mine = httpx.get(returns, params={"region": REGION}, headers=inspector).json()["items"]
    assert mine and all(httpx.get(f"{returns}/{r['id']}", headers=hubei).status_code == 404 for r in mine)
