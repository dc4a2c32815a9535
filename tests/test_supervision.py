"""An inspector's report across real processes: supervision asks the registry, eligibility,
payments and medical priority with the inspector's own token, scores what it can and keeps it."""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest
from openpyxl import load_workbook

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "420116"  # 黄陂区: no other test or example registers families here


def _family(serial: int) -> dict:
    mother, father = (("周丽华", "吴国平"), ("郑秀兰", "孙立新"))[serial]
    return {
        "region_code": REGION, "hukou_type": "urban", "address": "黄陂区某街道 12 号",
        "honor_certificate": {"number": f"GRZ-HP{serial}", "issued_on": "1992-03-01"},
        "mother": {"name": mother, "id_number": id_number(REGION, "1962-03-15", serial * 2 + 2),
                   "bank_account": {"bank": "中国农业银行黄陂支行", "account_number": f"62284810{serial:011d}",
                                    "holder": mother}},
        "father": {"name": father, "id_number": id_number(REGION, "1960-07-20", serial * 2 + 1)},
        "child": {"name": f"{father[0]}小伟", "birth_date": "1989-05-01"},
        "events": [{"kind": "child_died", "occurred_on": "2025-03-10"}],
    }


@pytest.fixture(scope="module")
def families(suite) -> list[dict]:
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-huangpi")
    registered = [register(suite.url("registry"), clerk, _family(serial)) for serial in (0, 1)]
    # Medical priority follows the register by itself; wait for the four cards (two parents each).
    admin = bearer(mint_token(suite.signing_key, role="admin", region=REGION))
    deadline = time.monotonic() + 60
    while True:
        page = httpx.get(f"{suite.url('medical-priority')}/v1/cards", params={"status": "active", "limit": 100},
                         headers=admin).json()
        if len(page["items"]) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return registered


def test_an_inspectors_report_gathers_each_figure_from_its_owner(suite, families):
    supervision = f"{suite.url('supervision')}/v1/supervision"
    inspector = bearer(mint_token(suite.signing_key, role="auditor", region="420000", subject="inspector-hubei"))
    answer = httpx.get(supervision, params={"region": REGION, "period": "2026"}, headers=inspector, timeout=120)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    figures = report["figures"]
    assert report["region_name"].endswith("黄陂区") and report["period_name"] == "2026年"

    assert figures["families"]["special"] == 2
    assert figures["families"]["sources"][0]["service"] == "registry"
    assistance = next(b for b in figures["disbursement"]["benefits"] if b["benefit"] == "special_assistance")
    # Every parent, every month begun in 2026, unpaid: nothing was batched.
    assert assistance["due"] == 4 * len(figures["months"]) and assistance["paid"] == 0
    assert assistance["rate_percent"] == "0.00"
    assert figures["disbursement"]["sources"][0]["service"] == "payments"
    assert figures["cards"]["qualifying"] == 4 and figures["cards"]["with_active_card"] == 4
    assert figures["cards"]["issued"] == 4 and figures["cards"]["sources"][0]["service"] == "medical-priority"
    entitled = next(b for b in figures["entitled"]["benefits"] if b["benefit"] == "special_assistance")
    assert entitled["recipients"] == 4 and figures["entitled"]["sources"][0]["service"] == "eligibility"

    items = {item["id"]: item for item in report["scoresheet"]["items"]}
    assert items["assistance_payment"]["deducted"] == "2.5"  # 未发放的扣 2.5 分
    assert "到位率 0.00%" in items["assistance_payment"]["basis"]
    assert items["priority_certificate"]["deducted"] == "0" and items["green_channel"]["deducted"] == "0"
    assert report["headline"]["special_families"] == 2 and report["headline"]["card_coverage"] == "100.00"

    kept = httpx.get(f"{supervision}/reports/{report['report_id']}", headers=inspector).json()
    assert kept["intact"] and kept["figures"] == figures

    workbook = httpx.get(supervision, params={"region": REGION, "period": "2026", "format": "xlsx"},
                         headers=inspector, timeout=120)
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    rates = book["发放到位率"]
    assert rates["A1"].value == "待遇" and isinstance(rates["B2"].value, int)
    charts = [name for name in zipfile.ZipFile(io.BytesIO(workbook.content)).namelist() if name.startswith("xl/charts/")]
    assert len(charts) >= 3


def test_a_clerk_is_refused_and_another_province_sees_nothing(suite, families):
    supervision = f"{suite.url('supervision')}/v1/supervision"
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region="420000"))
    assert httpx.get(supervision, params={"region": "420000", "period": "2026"}, headers=clerk).status_code == 403
    hunan = bearer(mint_token(suite.signing_key, role="auditor", region="430000"))
    refused = httpx.get(supervision, params={"region": "420000", "period": "2026"}, headers=hunan)
    assert refused.status_code == 422 and refused.json()["code"] == "region-outside-scope"
    assert httpx.get(f"{supervision}/reports", headers=hunan).json()["items"] == []
