"""The agency's side against in-process fakes: the file of an approved batch, its manifest, return
files checked row by row (in Chinese, each row and column named), and the log of every read."""

from __future__ import annotations

import csv
import hashlib
import io

from tefu_common.calendar import today

# Banks report the day they paid: after the batch was exported, never later than today (China).
def paid_on() -> str:
    """Today in China, read when a return file is made (a constant read at import goes stale at midnight)."""
    return today().isoformat()


REGION = "420106"  # the region of the `approved` batch (conftest.py), paid by ICBC-WC (`bank`)


async def test_the_file_is_the_same_on_every_pull_and_each_pull_is_logged(served, auth, approved, bank):
    first = await served.get(f"/v1/batches/{approved}/file", headers=bank)
    assert first.status_code == 200
    again = await served.get(f"/v1/batches/{approved}/file", headers=bank)
    assert again.content == first.content
    assert first.headers["x-content-sha256"] == hashlib.sha256(first.content).hexdigest()
    manifest = (await served.get(f"/v1/batches/{approved}/manifest", headers=bank)).json()
    assert (manifest["content"]["line_count"], manifest["content"]["sha256"]) == (39, first.headers["x-content-sha256"])
    pulls = (await served.get("/v1/access-log", params={"action": "file_pull"},
                              headers=auth(role="auditor", region=REGION))).json()["items"]
    assert [(p["subject"], p["institution"], p["note"]) for p in pulls] == [
        ("bank-wc", "ICBC-WC", "first pull: the batch is exported"), ("bank-wc", "ICBC-WC", None)]


async def test_another_agency_finds_no_batch(served, auth, approved):
    other = auth(role="agency", region="420000", agency="BOC-WC")
    response = await served.get(f"/v1/batches/{approved}/file", headers=other)
    assert response.status_code == 404
    assert response.json()["code"] == "batch-not-found"
    assert (await served.get("/v1/agency/batches", headers=other)).json()["items"] == []


async def test_a_bad_return_file_is_refused_row_by_row_and_logged(served, auth, approved, bank):
    pulled = await served.get(f"/v1/batches/{approved}/file", headers=bank)
    reference = list(csv.reader(io.StringIO(pulled.content.decode())))[1][0]
    bad = f"流水号,结果,失败原因,发放日期,金额\r\n{reference},成功,,{paid_on()},999.00\r\n9999999999999,失败,,,\r\n"
    refused = await served.post(f"/v1/batches/{approved}/returns", headers=bank,
                                files={"file": ("back.csv", bad.encode("gbk"))})
    assert refused.status_code == 422
    assert [(e["row"], e["column"], e["code"], e["field"]) for e in refused.json()["errors"]] == [
        (2, "金额", "amount-differs", "file.rows.2.金额"),
        (3, "失败原因", "reason-missing", "file.rows.3.失败原因"),
        (3, "流水号", "reference-unknown", "file.rows.3.流水号")]
    assert refused.json()["errors"][0]["detail"] == "999.00 与明细金额 340.00 不符"
    posts = (await served.get("/v1/access-log", params={"action": "return_post"},
                              headers=auth(role="auditor", region=REGION))).json()["items"]
    assert [(p["line_count"], p["sha256"]) for p in posts] == [(2, hashlib.sha256(bad.encode("gbk")).hexdigest())]
    assert posts[0]["note"].startswith("refused")


async def test_an_unreadable_return_file_names_the_file(served, approved, bank):
    await served.get(f"/v1/batches/{approved}/file", headers=bank)
    refused = await served.post(f"/v1/batches/{approved}/returns", headers=bank,
                                files={"file": ("back.csv", "结果\r\n成功\r\n".encode())})
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("return-file-columns", "file")


async def test_a_good_return_file_reconciles_the_batch(served, approved, bank):
    pulled = await served.get(f"/v1/batches/{approved}/file", headers=bank)
    references = [row[0] for row in list(csv.reader(io.StringIO(pulled.content.decode())))[1:-1]]
    good = "流水号,结果,失败原因,发放日期\r\n" + "".join(
        f"{ref},失败,账户已销户,\r\n" if ref == references[0] else f"{ref},成功,,{paid_on()}\r\n" for ref in references)
    posted = await served.post(f"/v1/batches/{approved}/returns", headers=bank, files={"file": ("back.csv", good.encode())})
    assert posted.status_code == 200
    assert posted.json() == {"batch_id": approved, "status": "reconciled", "rows": 39, "applied": 39, "unchanged": 0,
                             "paid": 38, "failed": 1, "pending": 0}


async def test_returns_before_the_file_was_pulled_are_a_conflict(served, approved, bank):
    response = await served.post(f"/v1/batches/{approved}/returns", headers=bank,
                                 files={"file": ("back.csv", "流水号,结果\r\n".encode())})
    assert response.status_code == 409
    assert response.json()["code"] == "batch-not-exported"


async def test_a_paid_date_before_the_export_or_after_today_is_refused(served, approved, bank):
    pulled = await served.get(f"/v1/batches/{approved}/file", headers=bank)
    first, second = (row[0] for row in list(csv.reader(io.StringIO(pulled.content.decode())))[1:3])
    back = f"流水号,结果,失败原因,发放日期\r\n{first},成功,,2099-01-01\r\n{second},成功,,1900-01-01\r\n"
    refused = await served.post(f"/v1/batches/{approved}/returns", headers=bank,
                                files={"file": ("back.csv", back.encode())})
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [
        (2, "发放日期", "paid-on-out-of-range"), (3, "发放日期", "paid-on-out-of-range")]
    assert f"与今天 {paid_on()} 之间" in errors[0]["detail"]
    lines = (await served.get(f"/v1/batches/{approved}/lines", headers=bank))
    assert "paid" not in {line["status"] for line in lines.json()["items"]}


async def test_a_compression_or_entity_bomb_as_a_return_file_is_refused_by_name(served, approved, bank):
    import zipfile

    await served.get(f"/v1/batches/{approved}/file", headers=bank)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package, \
            package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        for _ in range(300):
            part.write(b" " * (1 << 20))
    laughs = io.BytesIO()
    with zipfile.ZipFile(laughs, "w") as package:
        package.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]><w>&a;</w>')
    for content, code in ((bomb.getvalue(), "xlsx-compression-bomb"), (laughs.getvalue(), "xlsx-xml-entities")):
        refused = await served.post(f"/v1/batches/{approved}/returns", headers=bank,
                                    files={"file": ("back.xlsx", content)})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["code"] == code
