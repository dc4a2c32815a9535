"""Importing families from files, as a clerk uses it: errors by row and column, nothing lost, nothing twice."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from tefu_common.db import Database
from tefu_common.testing import app_client, bearer
from tefu_registry.changes.models import FamilyChange
from tefu_registry.events.models import LifeEvent
from tefu_registry.families.models import Family, Member
from tefu_registry.imports.preparation import WORKER_THRESHOLD_BYTES
from tefu_registry.imports.service import CHUNK_ROWS

from .builders import id_number

HEADERS = ["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "母亲银行账号", "母亲开户银行",
           "父亲姓名", "父亲身份证号", "子女姓名", "子女出生日期", "子女死亡日期"]


def rows(count: int, *, region: str = "370306", start: int = 0) -> list[dict[str, str]]:
    result = []
    for i in range(start, start + count):
        mother_birth = date(1955, 1, 1) + timedelta(days=i)
        father_birth = date(1953, 1, 1) + timedelta(days=i)
        result.append({
            "户籍地区划代码": region, "户口性质": "农村" if i % 2 else "城镇", "母亲姓名": "张秀兰",
            "母亲身份证号": id_number(region, mother_birth, "female", sequence=7),
            "母亲银行账号": f"62284800{i:011d}", "母亲开户银行": "中国农业银行",
            "父亲姓名": "王建国", "父亲身份证号": id_number(region, father_birth, "male", sequence=7),
            "子女姓名": "王明", "子女出生日期": (mother_birth + timedelta(days=365 * 25)).isoformat(),
            "子女死亡日期": "2018-05-05",
        })
    return result


def csv_bytes(table: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue().encode(encoding)


async def upload(client, token, content: bytes, name: str = "families.csv", region: str = "370306", **form):
    return await client.post(
        "/v1/imports", files={"file": (name, content, "text/csv")}, data=form,
        headers=bearer(token(role="clerk", region=region)),
    )


async def job(client, token, job_id: int, region: str = "370306") -> dict:
    response = await client.get(f"/v1/imports/{job_id}", headers=bearer(token(role="clerk", region=region)))
    assert response.status_code == 200, response.text
    return response.json()


async def test_one_bad_check_digit_among_thousands(client, token):
    table = rows(1500, start=0)
    good = table[1212]["母亲身份证号"]
    table[1212]["母亲身份证号"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # spreadsheet row 1,214
    response = await upload(client, token, csv_bytes(table))
    assert response.status_code == 202, response.text
    result = await job(client, token, response.json()["id"])
    assert result["status"] == "finished"
    assert (result["total_rows"], result["accepted_rows"], result["rejected_rows"], result["duplicate_rows"]) == (1500, 1499, 1, 0)
    issues = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")))).json()
    assert issues["next_cursor"] is None
    [issue] = issues["items"]
    expected = good[-1]
    assert issue == {
        "row_number": 1214, "outcome": "rejected", "column": "母亲身份证号", "code": "resident-id-check-character",
        "detail": f"母亲身份证号：校验码应为“{expected}”，而不是“{table[1212]['母亲身份证号'][-1]}”",
        "problems": [{"column": "母亲身份证号", "code": "resident-id-check-character",
                      "detail": f"校验码应为“{expected}”，而不是“{table[1212]['母亲身份证号'][-1]}”"}],
        "existing_family_id": None,
    }
    english = (await client.get(f"/v1/imports/{result['id']}/issues",
                                headers={**bearer(token(role="clerk")), "Accept-Language": "en"})).json()["items"][0]
    assert english["detail"].startswith("母亲身份证号: ") and "check character" in english["detail"]

    # The rejected row comes back as a file: fix it and upload again; only that row is added.
    rejected = await client.get(f"/v1/imports/{result['id']}/rejected", headers=bearer(token(role="clerk")))
    assert rejected.status_code == 200 and rejected.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(rejected.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["原行号", "错误原因"]
    # In Chinese, and the column named once (not "母亲身份证号: 母亲身份证号: …").
    assert lines[1][:2] == ["1214", issue["detail"]]
    fixed = rejected.content.decode("utf-8-sig").replace(table[1212]["母亲身份证号"], good).encode()
    again = await upload(client, token, fixed, name="fixed.csv")
    assert again.status_code == 202
    second = await job(client, token, again.json()["id"])
    assert (second["accepted_rows"], second["rejected_rows"]) == (1, 0)


async def test_same_file_twice_creates_nothing_twice(client, token):
    content = csv_bytes(rows(20, start=5000))
    first = await upload(client, token, content)
    assert first.status_code == 202
    second = await upload(client, token, content)
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    # The same rows in a different file (one more row): the 20 are reported as already registered.
    bigger = await upload(client, token, csv_bytes(rows(21, start=5000)))
    result = await job(client, token, bigger.json()["id"])
    assert (result["accepted_rows"], result["duplicate_rows"], result["rejected_rows"]) == (1, 20, 0)
    duplicates = (await client.get(f"/v1/imports/{result['id']}/issues", params={"outcome": "duplicate", "limit": 15},
                                   headers=bearer(token(role="clerk")))).json()
    rest = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")),
                             params={"outcome": "duplicate", "cursor": duplicates["next_cursor"]})).json()
    shown = duplicates["items"] + rest["items"]
    assert [d["row_number"] for d in shown] == list(range(2, 22)) and rest["next_cursor"] is None
    assert all(d["existing_family_id"] and d["code"] == "parent-registered" and d["column"] is None for d in shown)
    assert shown[0]["detail"] == f"这位父母已在家庭 {shown[0]['existing_family_id']} 中登记"


async def test_gbk_file_detected_and_declared(client, token):
    content = csv_bytes(rows(3, start=6000), encoding="gbk")
    detected = await upload(client, token, content, name="gbk.csv")
    assert detected.status_code == 202 and detected.json()["encoding"] == "gbk"
    result = await job(client, token, detected.json()["id"])
    assert result["accepted_rows"] == 3
    family = (await client.get("/v1/families", params={"name": "张秀兰", "limit": 1}, headers=bearer(token(role="clerk")))).json()
    assert family["items"]
    declared = await upload(client, token, csv_bytes(rows(2, start=6100), encoding="gbk"), encoding="gbk")
    assert (await job(client, token, declared.json()["id"]))["accepted_rows"] == 2


async def test_missing_column_refuses_the_whole_file(client, token):
    content = csv_bytes(rows(3, start=7000)).replace("户口性质".encode(), "户口".encode())
    response = await upload(client, token, content)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("columns-missing", "body.file")
    assert body["detail"] == "body.file：缺少必填列：户口性质"


async def test_duplicate_row_in_the_same_file(client, token):
    table = rows(3, start=8000)
    table.append(dict(table[0]))
    response = await upload(client, token, csv_bytes(table))
    result = await job(client, token, response.json()["id"])
    assert (result["accepted_rows"], result["rejected_rows"]) == (3, 1)
    issue = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")))).json()["items"][0]
    assert (issue["row_number"], issue["code"], issue["column"]) == (5, "row-repeated", "母亲身份证号")
    assert issue["detail"] == "母亲身份证号：与第 2 行的父母身份证号相同"


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_parent_repeated_chunks_apart_in_a_large_file(settings, service_under_test, token, workers):
    """A large file is checked in worker processes, a chunk each, which keep nothing between chunks:
    a parent repeated two chunks later is still refused, naming the first row; a row refused for
    its own problem names nobody, so its corrected copy further down is registered. With two
    workers the chunks are checked side by side and still taken in the file's order."""
    async with app_client(service_under_test.create_app(settings.model_copy(update={"import_workers": workers}),
                                                        configure_logs=False)) as client:
        await _repeated_chunks_apart(client, token)


async def _repeated_chunks_apart(client, token):
    table = rows(2600, start=11000)
    first = dict(table[5])
    # Row 7: a man's ID number as the mother's (the family's rules refuse it, not the cells).
    table[5]["母亲身份证号"] = id_number("370306", date(1955, 1, 1) + timedelta(days=11005), "male", sequence=9)
    table[1800] = first  # row 1,802: row 7 corrected, in a later chunk
    table[2500] = dict(table[10])  # row 2,502: row 12's parents again, two chunks on
    content = csv_bytes(table)
    assert len(content) > WORKER_THRESHOLD_BYTES and len(table) > 2 * CHUNK_ROWS
    result = await job(client, token, (await upload(client, token, content)).json()["id"])
    assert (result["total_rows"], result["accepted_rows"], result["rejected_rows"]) == (2600, 2598, 2)
    issues = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")))).json()["items"]
    assert [(i["row_number"], i["code"]) for i in issues] == [(7, "id-number-wrong-sex"), (2502, "row-repeated")]
    assert issues[1]["detail"] == "母亲身份证号：与第 12 行的父母身份证号相同"


async def test_each_family_holds_its_own_rows_people_whatever_is_refused_around_it(client, token, settings):
    """Checked rows cross from the worker as columns and refused rows drop out of them: every
    family registered must still hold exactly its own row's people, bank details and events."""
    table = rows(1300, start=14000)
    for i, row in enumerate(table):  # names, accounts and dates that differ row by row
        row["母亲姓名"], row["父亲姓名"], row["子女姓名"] = f"张{chr(0x4E00 + i)}兰", f"王{chr(0x5E00 + i)}国", f"王{chr(0x6E00 + i)}"
        row["子女死亡日期"] = (date(2023, 1, 1) + timedelta(days=i % 300)).isoformat()
    earlier = table[400:403]  # three rows already in the register: duplicates in the big file
    assert (await job(client, token, (await upload(client, token, csv_bytes(earlier), name="earlier.csv")).json()["id"]))[
        "accepted_rows"] == 3
    good = table[2]["母亲身份证号"]
    table[2]["母亲身份证号"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # row 4: a wrong check digit
    table[8] = dict(table[1], 母亲姓名="重复")  # row 10: row 3's parents again
    table[1100]["子女出生日期"] = "2099-01-01"  # row 1,102, in the second chunk: born in the future
    content = csv_bytes(table)
    assert len(content) > WORKER_THRESHOLD_BYTES and len(table) > CHUNK_ROWS
    result = await job(client, token, (await upload(client, token, content)).json()["id"])
    assert (result["accepted_rows"], result["rejected_rows"], result["duplicate_rows"]) == (1294, 3, 3)

    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            members = (await session.scalars(select(Member).join(Family).where(Family.region_code == "370306"))).all()
            events = (await session.scalars(select(LifeEvent))).all()
            changes = (await session.scalars(select(FamilyChange).where(FamilyChange.kind == "family_registered"))).all()
    finally:
        await database.dispose()
    people: dict[int, dict[str, Member]] = {}
    for member in members:
        people.setdefault(member.family_id, {})[member.role] = member
    by_mother = {family["mother"].id_number: (family_id, family) for family_id, family in people.items()}
    refused = {2, 8, 1100}
    for i, row in enumerate(table):
        if i in refused:
            assert row["母亲身份证号"] not in by_mother or i == 8
            continue
        family_id, family = by_mother[row["母亲身份证号"]]
        mother, father, child = family["mother"], family["father"], family["child"]
        assert (mother.name, mother.bank_account, mother.bank_name) == (row["母亲姓名"], row["母亲银行账号"], row["母亲开户银行"])
        assert (father.name, father.id_number, child.name) == (row["父亲姓名"], row["父亲身份证号"], row["子女姓名"])
        assert child.birth_date.isoformat() == row["子女出生日期"]
        [death] = [e for e in events if e.family_id == family_id]
        assert (death.kind, death.occurred_on.isoformat()) == ("child_died", row["子女死亡日期"])
    assert len(people) == 1297 and len(events) == 1297
    assert sorted(c.family_id for c in changes) == sorted(people)
    assert all(c.changes == [{"field": "family", "old": None, "new": {"members": ["mother", "father", "child"]}}]
               for c in changes)


async def test_xlsx_and_rules_of_the_register(client, token):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    table = rows(2, start=9000)
    table[1]["子女死亡日期"] = "2999-01-01"  # checked by the register, reported on its column
    for row in table:
        sheet.append([row[h] for h in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await client.post(
        "/v1/imports", files={"file": ("families.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=bearer(token(role="clerk")),
    )
    assert response.status_code == 202, response.text
    result = await job(client, token, response.json()["id"])
    assert (result["file_format"], result["accepted_rows"], result["rejected_rows"]) == ("xlsx", 1, 1)
    issue = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")))).json()["items"][0]
    assert (issue["row_number"], issue["column"], issue["code"]) == (3, "子女死亡日期", "date-in-future")
    rejected = await client.get(f"/v1/imports/{result['id']}/rejected", headers=bearer(token(role="clerk")))
    assert openpyxl.load_workbook(io.BytesIO(rejected.content)).active.max_row == 2


async def test_rows_outside_the_clerks_region_are_rejected_and_jobs_are_scoped(client, token):
    response = await upload(client, token, csv_bytes(rows(1, region="420102", start=9500)))
    result = await job(client, token, response.json()["id"])
    assert result["rejected_rows"] == 1
    [issue] = (await client.get(f"/v1/imports/{result['id']}/issues", headers=bearer(token(role="clerk")))).json()["items"]
    assert (issue["column"], issue["code"]) == ("户籍地区划代码", "region-outside-scope")
    elsewhere = await client.get(f"/v1/imports/{result['id']}", headers=bearer(token(role="clerk", region="420102")))
    assert elsewhere.status_code == 404


async def test_template_downloads_and_imports(client, token):
    for fmt in ("csv", "xlsx"):
        response = await client.get("/v1/imports/template", params={"format": fmt}, headers=bearer(token(role="clerk")))
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
    template = (await client.get("/v1/imports/template", params={"format": "csv"}, headers=bearer(token(role="clerk")))).content
    imported = await upload(client, token, template, name="template.csv")
    result = await job(client, token, imported.json()["id"])
    assert (result["accepted_rows"], result["rejected_rows"]) == (1, 0), result
