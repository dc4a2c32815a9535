"""Every read of personal data in payments lands in its access log, across real processes: each
file pull (first and later), each return file (applied or refused), each page of lines, each
person's payment history; auditors see those of their region."""

from __future__ import annotations

import csv
import hashlib
import io

import httpx
import pytest

from tefu_common.calendar import today
from tefu_common.testing import bearer, mint_token

from .families import bereaved_family, register

# Banks report the day they paid: after the batch was exported, never later than today (China).
def paid_on() -> str:
    """Today in China, read when a return file is made (a constant read at import goes stale at midnight)."""
    return today().isoformat()

pytestmark = pytest.mark.processes

REGION = "420112"  # 东西湖区: no other test registers families here


def test_every_read_of_personal_data_is_logged(suite):
    def headers(**claims) -> dict[str, str]:
        return bearer(mint_token(suite.signing_key, **claims))

    clerk = headers(role="clerk", region=REGION, subject="clerk-dxh")
    family = register(suite.url("registry"), clerk["Authorization"].split()[1],
                      bereaved_family(REGION, "朱桂芳", "程建军", bank="中国农业银行东西湖支行", account="6228480000000000021"))
    mother = next(m["id"] for m in family["members"] if m["role"] == "mother")
    payments = suite.url("payments")
    admin = headers(role="admin", region="420000")
    assert httpx.post(f"{payments}/v1/agencies", headers=admin,
                      json={"id": "ABC-DXH", "name": "中国农业银行东西湖支行", "region_code": REGION}).status_code == 201
    built = httpx.post(f"{payments}/v1/batches", headers=clerk, timeout=60, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-DXH"})
    assert built.status_code == 201, built.text
    batch = built.json()["id"]
    batch_url = f"{payments}/v1/batches/{batch}"
    httpx.post(f"{batch_url}/submit", headers=clerk).raise_for_status()
    httpx.post(f"{batch_url}/approve", headers=headers(role="approver", region=REGION, subject="chief-dxh")).raise_for_status()

    auditor = headers(role="auditor", region=REGION, subject="auditor-dxh")

    def logged(**params) -> list[dict]:
        response = httpx.get(f"{payments}/v1/access-log", headers=auditor, params={"batch_id": batch, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]

    assert logged() == []  # building, submitting and approving show nobody's data

    bank = headers(role="agency", region="420000", agency="ABC-DXH", subject="bank-dxh")
    first = httpx.get(f"{batch_url}/file", headers=bank)
    again = httpx.get(f"{batch_url}/file", headers=bank)
    assert first.status_code == 200
    assert again.status_code == 200
    assert first.content == again.content
    pulls = logged(action="file_pull")
    sha = hashlib.sha256(first.content).hexdigest()
    assert [(p["subject"], p["role"], p["institution"], p["line_count"], p["sha256"], p["note"]) for p in pulls] == [
        ("bank-dxh", "agency", "ABC-DXH", 13, sha, "first pull: the batch is exported"),
        ("bank-dxh", "agency", "ABC-DXH", 13, sha, None)]
    assert pulls[1]["request_id"] == again.headers["x-request-id"]
    assert "in full" in pulls[0]["shown"]
    assert pulls[0]["endpoint"] == "GET /v1/batches/{batch_id}/file"

    rows = list(csv.reader(io.StringIO(first.content.decode("utf-8"))))[1:-1]
    refused = f"流水号,结果,失败原因,发放日期\r\n9999999999999,成功,,{paid_on()}\r\n"
    assert httpx.post(f"{batch_url}/returns", headers=bank, files={"file": ("r.csv", refused.encode())}).status_code == 422
    good = "流水号,结果,失败原因,发放日期\r\n" + "".join(f"{r[0]},成功,,{paid_on()}\r\n" for r in rows)
    assert httpx.post(f"{batch_url}/returns", headers=bank, files={"file": ("r.csv", good.encode())}).status_code == 200
    posts = logged(action="return_post")
    assert [(p["line_count"], p["sha256"], p["note"].split(":")[0]) for p in posts] == [
        (1, hashlib.sha256(refused.encode()).hexdigest(), "refused"),
        (13, hashlib.sha256(good.encode()).hexdigest(), "13 applied, 0 unchanged")]

    page = httpx.get(f"{batch_url}/lines", headers=clerk, params={"limit": 5})
    history = httpx.get(f"{payments}/v1/people/{mother}/payments", headers=clerk)
    assert page.status_code == 200
    assert history.status_code == 200
    assert len(history.json()["items"]) == 13
    lines_read = logged(action="batch_lines")
    assert [(e["subject"], e["line_count"], e["member_ids"]) for e in lines_read] == [("clerk-dxh", 5, [mother])]
    by_person = httpx.get(f"{payments}/v1/access-log", headers=auditor, params={"member_id": mother}).json()["items"]
    # Whose data: the two files and two return files of her batch, the page and her history.
    assert [e["action"] for e in by_person] == ["file_pull", "file_pull", "return_post", "return_post",
                                                "batch_lines", "payment_history"]
    assert by_person[-1]["endpoint"] == "GET /v1/people/{member_id}/payments"
    assert by_person[-1]["line_count"] == 13

    # Another bank of the same province sees neither the lines nor the history, and nothing is logged.
    other_bank = headers(role="agency", region="420000", agency="BOC-DXH")
    assert httpx.get(f"{batch_url}/lines", headers=other_bank).status_code == 404
    assert httpx.get(f"{payments}/v1/people/{mother}/payments", headers=other_bank).json() == {"items": [],
                                                                                               "next_cursor": None}
    assert len(httpx.get(f"{payments}/v1/access-log", headers=auditor, params={"member_id": mother}).json()["items"]) == 6

    elsewhere = headers(role="auditor", region="370306")
    assert httpx.get(f"{payments}/v1/access-log", headers=elsewhere, params={"member_id": mother}).json()["items"] == []
    assert httpx.get(f"{payments}/v1/access-log", headers=clerk).status_code == 403
