"""导入 against the real registry: a GBK CSV with a bad row, its progress, its row errors, its rejected rows."""

from __future__ import annotations

import asyncio
import re

from .conftest import csrf_of

CSV = ("户籍地区划代码,户口性质,母亲姓名,母亲身份证号,父亲姓名,父亲身份证号,子女姓名,子女出生日期,子女死亡日期\n"
       "370306,城镇,周桂芳,370306196604125847,孙志强,370306196509205734,孙小龙,1990-04-02,2018-07-15\n"
       "370306,农村,钱美华,370306197011050281,,,钱小芳,1995-02-20,2020-11-03\n").encode("gbk")


async def test_an_upload_shows_its_progress_then_the_bad_rows_error_and_hands_the_row_back(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-zhang")
    csrf = await csrf_of(suite.http, "/imports")
    sent = await suite.http.post("/imports", data={"csrf_token": csrf, "encoding": ""},
                                 files={"file": ("families.csv", CSV, "text/csv")})
    assert sent.status_code == 303, sent.text[:1000]
    page_path = sent.headers["location"]
    import_id = int(page_path.rsplit("/", 1)[1])

    page = await suite.http.get(page_path)
    assert '<progress id="import-progress" max="100"' in page.text
    assert '<script src="/static/import-progress.js" defer></script>' in page.text
    assert f'data-progress-url="/imports/{import_id}/progress"' in page.text
    for _ in range(100):
        progress = (await suite.http.get(f"/imports/{import_id}/progress")).json()
        if progress["done"]:
            break
        await asyncio.sleep(0.1)
    assert progress["status"] == "finished" and progress["percent"] == 100
    assert (progress["accepted_rows"], progress["rejected_rows"]) == (1, 1)

    page = await suite.http.get(page_path)
    row = re.search(r'<tr data-row="3">(.*?)</tr>', page.text, re.S)
    assert row and "校验码" in row.group(1)
    rejected = await suite.http.get(f"/imports/{import_id}/rejected", params={"format": "csv"})
    assert rejected.status_code == 200 and "attachment" in rejected.headers["content-disposition"]
    text = rejected.content.decode("utf-8-sig", errors="replace") if rejected.content[:3] == b"\xef\xbb\xbf" \
        else rejected.content.decode("gbk", errors="replace")
    assert "钱美华" in text and "错误原因" in text

    listed = await suite.http.get("/imports")
    assert f'href="/imports/{import_id}"' in listed.text and "families.csv" in listed.text


async def test_an_upload_without_a_file_says_so_at_the_file_input(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    csrf = await csrf_of(suite.http, "/imports")
    refused = await suite.http.post("/imports", data={"csrf_token": csrf})
    assert refused.status_code == 422 and '<p class="field-error" data-field="file">' in refused.text


async def test_a_file_the_registry_cannot_read_shows_its_reason(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    csrf = await csrf_of(suite.http, "/imports")
    refused = await suite.http.post("/imports", data={"csrf_token": csrf},
                                    files={"file": ("notes.txt", b"\x00\x01binary", "application/octet-stream")})
    assert refused.status_code == 422, refused.text[:500]
    assert '<div class="error" role="alert">' in refused.text
