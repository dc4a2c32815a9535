"""Payment batches across real processes: registry → eligibility → payments."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import os
import re

import gmalg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tefu_common.calendar import today
from tefu_common.crypto_mode import CryptoMode, crypto_mode
from tefu_common.testing import bearer, mint_token

from .families import id_number, register

# Banks report the day they paid: after the batch was exported, never later than today (China).
def paid_on() -> str:
    """Today in China, read when a return file is made (a constant read at import goes stale at midnight)."""
    return today().isoformat()

pytestmark = pytest.mark.processes

REGION = "420106"  # 武昌区: no other test registers families here


NAMES = {1: ("陈秀英", "刘建国"), 2: ("王桂兰", "张志强"), 3: ("李凤霞", "赵德明")}


def _register(suite, clerk: str, serial: int, child_died: str) -> dict:
    mother, father = NAMES[serial]
    body = {
        "region_code": REGION, "hukou_type": "urban", "address": "武昌区某街道 8 号",
        "honor_certificate": {"number": f"GRZ-P{serial}", "issued_on": "1991-01-05"},
        "mother": {"name": mother, "id_number": id_number(REGION, "1962-04-10", serial * 2 + 2),
                   "bank_account": {"bank": "中国工商银行武昌支行", "account_number": f"62220210{serial:011d}",
                                    "holder": mother}},
        "father": {"name": father, "id_number": id_number(REGION, "1960-09-01", serial * 2 + 1)},
        "child": {"name": "刘小明", "birth_date": "1988-02-01"},
        "events": [{"kind": "child_died", "occurred_on": child_died}],
    }
    return register(suite.url("registry"), clerk, body)


def every(url: str, headers: dict[str, str], **params) -> list[dict]:
    """Every item of a list, page after page."""
    items, query = [], {"limit": 1000, **params}
    while True:
        page = httpx.get(url, headers=headers, params=query, timeout=60)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return items
        query = {**query, "cursor": page.json()["next_cursor"]}


@pytest.fixture(scope="module")
def families(suite) -> list[dict]:
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-wang")
    return [_register(suite, clerk, serial, "2019-03-10") for serial in (1, 2, 3)]


def test_prepare_retry_approve_and_cancel_a_batch(suite, families):
    payments = suite.url("payments")
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    agency = httpx.post(f"{payments}/v1/agencies", headers=admin,
                        json={"id": "ICBC-WC", "name": "中国工商银行武昌支行", "region_code": "420000"})
    assert agency.status_code == 201, agency.text
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-wang"))

    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-WC"}
    created = httpx.post(f"{payments}/v1/batches", json=body, headers={**clerk, "Idempotency-Key": "wc-2020-06"},
                         timeout=60)
    assert created.status_code == 201, created.text
    batch = created.json()
    # Each mother: June 2020 plus twelve months of arrears (2019-06 … 2020-05); the fathers have no account.
    assert batch["status"] == "draft" and batch["line_count"] == 3 * 13 and batch["arrears_lines"] == 3 * 12
    assert batch["frequency"] == "monthly"  # no schedule set anywhere above 420106: the default
    assert batch["total"] == f"{3 * 13 * 340}.00"  # the national urban standard for a death
    assert batch["skipped"]["no_bank_account"] == 3 * 13
    _lines_name_what_they_were_computed_from(suite, families, clerk, batch)
    _the_fathers_without_an_account_are_kept_as_skipped(suite, families, clerk, batch)

    again = httpx.post(f"{payments}/v1/batches", json=body, headers={**clerk, "Idempotency-Key": "wc-2020-06"}, timeout=60)
    assert again.status_code == 200
    assert again.json()["id"] == batch["id"]
    other_body = httpx.post(f"{payments}/v1/batches", json={**body, "period": "2020-07"},
                            headers={**clerk, "Idempotency-Key": "wc-2020-06"}, timeout=60)
    assert other_body.status_code == 422
    assert (other_body.json()["code"], other_body.json()["field"]) == ("idempotency-key-reused", "header.Idempotency-Key")
    nothing_left = httpx.post(f"{payments}/v1/batches", json=body, headers=clerk, timeout=60)
    assert nothing_left.status_code == 409
    assert nothing_left.json()["code"] == "nothing-due"

    batch_url = f"{payments}/v1/batches/{batch['id']}"
    assert httpx.post(f"{batch_url}/submit", headers=clerk).json()["status"] == "submitted"
    same_person = bearer(mint_token(suite.signing_key, role="approver", region=REGION, subject="clerk-wang"))
    refused = httpx.post(f"{batch_url}/approve", headers=same_person)
    assert refused.status_code == 403
    assert refused.json()["code"] == "maker-checker"
    approver = bearer(mint_token(suite.signing_key, role="approver", region=REGION, subject="chief-li"))
    approved = httpx.post(f"{batch_url}/approve", headers=approver)
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == "chief-li"
    twice = httpx.post(f"{batch_url}/approve", headers=approver)
    assert twice.status_code == 409
    assert twice.json()["code"] == "batch-not-submitted"
    steps = [(t["from_status"], t["to_status"], t["actor"]) for t in every(f"{batch_url}/transitions", clerk)]
    assert steps == [(None, "draft", "clerk-wang"), ("draft", "submitted", "clerk-wang"), ("submitted", "approved", "chief-li")]

    # The agency pulls its file: count, total and hash agree with the signed manifest; a second
    # pull gives the same bytes; another agency sees nothing.
    bank = bearer(mint_token(suite.signing_key, role="agency", region="420000", agency="ICBC-WC"))
    assert [b["id"] for b in every(f"{payments}/v1/agency/batches", bank)] == [batch["id"]]
    pulled = httpx.get(f"{batch_url}/file", headers=bank)
    assert pulled.status_code == 200, pulled.text
    rows = list(csv.reader(io.StringIO(pulled.content.decode("utf-8"))))
    assert rows[0][:3] == ["流水号", "姓名", "身份证号码"] and len(rows) == 1 + 39 + 1
    assert rows[-1][:3] == ["合计", "39", f"{39 * 340}.00"]
    sha = hashlib.sha256(pulled.content).hexdigest()
    assert pulled.headers["x-content-sha256"] == sha
    assert httpx.get(batch_url, headers=clerk).json()["status"] == "exported"
    assert httpx.get(f"{batch_url}/file", headers=bank).content == pulled.content
    manifest = httpx.get(f"{batch_url}/manifest", headers=bank).json()
    assert manifest["content"]["sha256"] == sha and manifest["content"]["line_count"] == 39
    key = next(k for k in httpx.get(f"{payments}/.well-known/jwks.json").json()["keys"]
               if k["kid"] == manifest["signature"]["kid"])
    signed = json.dumps(manifest["content"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    value = base64.b64decode(manifest["signature"]["value"])
    if crypto_mode() is CryptoMode.SM:  # SM2 with SM3, checked with gmalg itself
        assert (manifest["signature"]["algorithm"], key["crv"]) == ("SM2", "SM2")
        point = b"\x04" + base64.urlsafe_b64decode(key["x"] + "=") + base64.urlsafe_b64decode(key["y"] + "=")
        assert gmalg.SM2(uid=b"1234567812345678", pk=point).verify(signed, value[:32], value[32:])
        assert not gmalg.SM2(uid=b"1234567812345678", pk=point).verify(signed + b" ", value[:32], value[32:])
    else:
        assert manifest["signature"]["algorithm"] == "EdDSA"
        public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
        public.verify(value, signed)  # raises if forged
    other_bank = bearer(mint_token(suite.signing_key, role="agency", region="420000", agency="BOC-WC"))
    assert httpx.get(f"{batch_url}/file", headers=other_bank).status_code == 404

    # The return: a bad file is refused row by row and changes nothing; the good one reconciles.
    references = [row[0] for row in rows[1:-1]]
    # Two of June's lines fail (within the next batch's look-back) for a reason the register need not act on
    # (a bank's own trouble: the lines are simply carried); every other line is paid.
    failing = [row[0] for row in rows[1:-1] if row[7] == "2020-06"][:2]
    bad = "流水号,结果,失败原因,发放日期,金额\r\n" + f"{references[0]},成功,,{paid_on()},999.00\r\n" + f"9999999999999,成功,,{paid_on()},\r\n"
    refused_return = httpx.post(f"{batch_url}/returns", headers=bank, files={"file": ("back.csv", bad.encode("gbk"))})
    assert refused_return.status_code == 422
    assert {(e["row"], e["column"], e["code"]) for e in refused_return.json()["errors"]} == {
        (2, "金额", "amount-differs"), (3, "流水号", "reference-unknown")}
    # In Chinese, without repeating the column the entry names.
    assert {e["detail"] for e in refused_return.json()["errors"]} == {
        "999.00 与明细金额 340.00 不符", "没有流水号为 9999999999999 的明细"}
    assert httpx.get(batch_url, headers=clerk).json()["status"] == "exported"
    good = "流水号,结果,失败原因,发放日期\r\n" + "".join(
        f"{ref},失败,银行系统繁忙未能入账,\r\n" if ref in failing else f"{ref},成功,,{paid_on()}\r\n" for ref in references)
    posted = httpx.post(f"{batch_url}/returns", headers=bank, files={"file": ("back.csv", good.encode("gbk"))})
    assert posted.status_code == 200, posted.text
    assert posted.json() | {"rows": 39} == {"batch_id": batch["id"], "status": "reconciled", "rows": 39, "applied": 39,
                                           "unchanged": 0, "paid": 37, "failed": 2, "pending": 0}
    again = httpx.post(f"{batch_url}/returns", headers=bank, files={"file": ("back.csv", good.encode("gbk"))})
    assert again.json()["unchanged"] == 39 and again.json()["applied"] == 0
    # The history says it in Chinese, the figures kept for machines.
    history = every(f"{batch_url}/transitions", clerk)
    assert [t["note"] for t in history[-2:]] == [f"首次下载：批次已导出，文件 SHA-256 {sha}", "已支付 37 笔，失败 2 笔"]
    assert history[-1]["facts"] == {"paid": 37, "failed": 2}
    failed_refs = set(failing)

    # 发放到位率 for June 2020: six parents due; the fathers have no bank account (never in a batch),
    # two mothers' payments failed, one was paid.
    report = httpx.get(f"{payments}/v1/reports/disbursement-rate", headers=clerk, timeout=60,
                       params={"region": REGION, "period": "2020-06", "benefits": ["special_assistance"]}).json()
    assert isinstance(report, list), report
    assert [(r["due"], r["paid"], r["failed"], r["outstanding"], r["rate_percent"]) for r in report] == [(6, 1, 2, 5, "16.67")]
    sheet = httpx.get(f"{payments}/v1/reports/disbursement-rate", headers=clerk, timeout=60,
                      params={"region": REGION, "period": "2020-06", "benefits": ["special_assistance"], "format": "csv"})
    assert sheet.content.decode("utf-8-sig").splitlines()[0].startswith("地区代码,补助项目,期间,应发人次")

    # July: a batch cancelled releases its lines; the next one carries them.
    july = {**body, "period": "2020-07"}
    first = httpx.post(f"{payments}/v1/batches", json=july, headers=clerk, timeout=60).json()
    assert first["line_count"] == 3 + 2 and first["carried_lines"] == 2  # July, and the two failures again
    cancelled = httpx.post(f"{payments}/v1/batches/{first['id']}/cancel", json={"note": "wrong agency"}, headers=clerk)
    assert cancelled.json()["status"] == "cancelled"
    second = httpx.post(f"{payments}/v1/batches", json=july, headers=clerk, timeout=60)
    assert second.status_code == 201
    assert second.json()["line_count"] == 5
    carried = [l for l in every(f"{payments}/v1/batches/{second.json()['id']}/lines", clerk) if l["carries"]]
    assert {l["carries"] for l in carried} == failed_refs
    assert all("*" in l["payee_name"] and l["bank_account"].endswith(l["bank_account"][-4:]) for l in carried)

    # No (payee, benefit, period) is paid twice or held twice across every batch.
    held: dict[tuple, int] = {}
    for listed in every(f"{payments}/v1/batches", clerk):
        for l in every(f"{payments}/v1/batches/{listed['id']}/lines", clerk):
            if l["status"] in ("pending", "paid"):
                key = (l["member_id"], l["benefit"], l["period"])
                held[key] = held.get(key, 0) + 1
    assert held and max(held.values()) == 1
    mother = next(l for l in carried)["member_id"]
    history = every(f"{payments}/v1/people/{mother}/payments", clerk)
    june = [h for h in history if h["month"] == "2020-06"]
    assert [h["status"] for h in june] == ["failed", "released", "pending"]  # failed, carried, cancelled, carried again

    elsewhere = bearer(mint_token(suite.signing_key, role="clerk", region="370306"))
    assert httpx.get(batch_url, headers=elsewhere).status_code == 404


def _the_fathers_without_an_account_are_kept_as_skipped(suite, families: list[dict], clerk: dict[str, str],
                                                         batch: dict) -> None:
    """The batch keeps whom its build left out and why: each father, registered without a bank
    account, for June and every month of arrears, with what the clerk does about it; the counts
    are on every answer about the batch, not only the one that built it."""
    batch_url = f"{suite.url('payments')}/v1/batches/{batch['id']}"
    assert httpx.get(batch_url, headers=clerk).json()["skipped"] == batch["skipped"]
    skipped = every(f"{batch_url}/skipped", clerk, reason="no_bank_account")
    fathers = {m["id"] for family in families for m in family["members"] if m["role"] == "father"}
    assert {s["member_id"] for s in skipped} == fathers and len(skipped) == 3 * 13
    assert {s["family_id"] for s in skipped} == {family["id"] for family in families}
    assert all(s["reason_text"] == "登记中没有该成员的银行账户" and "补录银行账户" in s["what_to_do"] for s in skipped)
    steps = every(f"{batch_url}/transitions", clerk)
    assert steps[0]["note"] == "共 39 笔，其中 36 笔为以前月份的补发"


def _lines_name_what_they_were_computed_from(suite, families: list[dict], clerk: dict[str, str], batch: dict) -> None:
    """Every line keeps the rule and the catalogue version eligibility computed its amount by: an
    audit years later reproduces the payment from the two. They are the ones a family's own
    evaluation names; the batch counts the lines paid at the national minimum."""
    lines = every(f"{suite.url('payments')}/v1/batches/{batch['id']}/lines", clerk)
    evaluation = httpx.get(f"{suite.url('eligibility')}/v1/families/{families[0]['id']}/evaluation",
                           params={"as_of": "2020-06-15"}, headers=clerk, timeout=60)
    assert evaluation.status_code == 200, evaluation.text
    special = next(b for b in evaluation.json()["benefits"] if b["code"] == "special_assistance")
    june = [line for line in lines if line["month"] == "2020-06"]
    assert june and {line["rule_id"] for line in june} == {special["rule_id"]}
    assert all(line["rule_id"] for line in lines)
    # One catalogue for the whole build (no local value was approved meanwhile).
    versions = {line["catalogue_version"] for line in lines}
    assert len(versions) == 1
    version = versions.pop()
    assert version is not None and re.fullmatch(r"[0-9a-f]{16}", version), version
    assert version == evaluation.json()["catalogue_version"]
    assert {line["amount_status"] for line in lines} <= {"local", "national_minimum"}
    at_floor = sum(line["amount_status"] == "national_minimum" for line in lines)
    # Hubei's document only says "按提标后的标准" and no provincial value is configured: every line
    # is paid at the national floor, and the batch says so.
    assert at_floor == len(lines) == 39
    assert batch["national_minimum_lines"] == 39
    assert batch["notices"] == ["39 项按国家最低标准发放，因为本地区的地方标准尚未配置"]


async def test_twenty_parallel_requests_build_one_batchs_worth_of_lines(suite, families):
    if os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql":
        pytest.skip("concurrent batch building is shown on PostgreSQL")
    payments = suite.url("payments")
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    httpx.post(f"{payments}/v1/agencies", headers=admin,
               json={"id": "ICBC-WC2", "name": "中国工商银行武昌支行二", "region_code": "420000"})
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-zhou"))
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2021-03", "agency_id": "ICBC-WC2"}
    async with httpx.AsyncClient(timeout=120) as client:
        answers = await asyncio.gather(*(client.post(f"{payments}/v1/batches", json=body, headers=clerk)
                                         for _ in range(20)))
    # One builds; each other one finds the build going on or the lines taken: never a 503.
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 19, [a.text for a in answers if a.status_code != 409]
    codes = {a.json()["code"] for a in answers if a.status_code == 409}
    assert codes <= {"batch-being-built", "nothing-due"}
    built = next(a.json() for a in answers if a.status_code == 201)
    listed = every(f"{payments}/v1/batches", clerk)
    march = [b for b in listed if b["period"] == "2021-03"]
    assert [b["id"] for b in march] == [built["id"]]


async def test_twenty_parallel_requests_with_one_idempotency_key_all_get_the_same_batch(suite, families):
    if os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql":
        pytest.skip("concurrent batch building is shown on PostgreSQL")
    payments = suite.url("payments")
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    httpx.post(f"{payments}/v1/agencies", headers=admin,
               json={"id": "ICBC-WC3", "name": "中国工商银行武昌支行三", "region_code": "420000"})
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-zhou"))
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2021-05", "agency_id": "ICBC-WC3"}
    headers = {**clerk, "Idempotency-Key": "wc-2021-05-once"}
    async with httpx.AsyncClient(timeout=120) as client:
        answers = await asyncio.gather(*(client.post(f"{payments}/v1/batches", json=body, headers=headers)
                                         for _ in range(20)))
    # The same request twenty times (retries, a proxy): one builds, the others wait for it and get it.
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
