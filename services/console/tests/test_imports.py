"""导入 against the real registry: a GBK CSV with a bad row, its progress, its row errors, its rejected rows;
the list is the registry's own (colleagues' and API imports too), in pages."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import update

from tefu_common.testing import bearer
from tefu_registry.imports.models import ImportJob

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
    row = re.search(rf'<tr data-import="{import_id}">(.*?)</tr>', listed.text, re.S)
    assert row and f'href="/imports/{import_id}"' in row.group(1) and "families.csv" in row.group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[1] == "clerk-zhang" and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", cells[2])
    assert cells[3] == "已完成" and [c.strip() for c in cells[5:]] == ["1", "0", "1"]


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


def csv_of(start: int, count: int = 1) -> bytes:
    """``count`` good rows of Zhoucun (different parents for each ``start``)."""
    lines = ["户籍地区划代码,户口性质,母亲姓名,母亲身份证号,父亲姓名,父亲身份证号,子女姓名,子女出生日期,子女死亡日期"]
    for i in range(start, start + count):
        lines.append(f"370306,城镇,周桂芳,{_id_number(f'370306196{i % 10}0412{i % 1000:03d}')},,,孙小龙,1990-04-02,2018-07-15")
    return ("\n".join(lines) + "\n").encode()


def _id_number(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


async def _through_the_api(suite, token, *, region: str, subject: str, name: str, content: bytes) -> dict:
    """An import made with curl, not through the console."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.registry), base_url="http://registry") as api:
        sent = await api.post("/v1/imports", files={"file": (name, content, "text/csv")},
                              headers=bearer(token(role="clerk", region=region, subject=subject)))
    assert sent.status_code == 202, sent.text
    return sent.json()


async def test_the_list_is_the_registrys_own_colleagues_and_api_imports_included(suite, as_person, token):
    colleague = await _through_the_api(suite, token, region="370306", subject="clerk-wang", name="同事的表格.csv",
                                       content=csv_of(100))
    township = await _through_the_api(suite, token, region="370306001", subject="clerk-town", name="街道的表格.csv",
                                      content=csv_of(200))
    elsewhere = await _through_the_api(suite, token, region="420102", subject="clerk-wuhan", name="武昌的表格.csv",
                                       content=csv_of(300))
    # One of them is still running (a third of the way), another was cut off by a restart.
    async with suite.registry.state.database.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == colleague["id"]).values(
            status="running", finished_at=None, total_rows=300, processed_rows=100, heartbeat_at=datetime.now(timezone.utc)))
        await db.execute(update(ImportJob).where(ImportJob.id == township["id"]).values(
            status="running", finished_at=None, heartbeat_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        await db.commit()

    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-zhang")
    page = await suite.http.get("/imports")
    assert page.status_code == 200, page.text[:1000]
    shown = re.findall(r'<tr data-import="(\d+)">', page.text)
    assert shown == [str(township["id"]), str(colleague["id"])]  # newest first; Wuchang's is not there
    assert "武昌的表格.csv" not in page.text and str(elsewhere["id"]) not in shown
    running = re.search(rf'<tr data-import="{colleague["id"]}">(.*?)</tr>', page.text, re.S).group(1)
    assert '<td data-field="status">处理中</td>' in running and '<progress max="100" value="33"' in running
    assert "100 / 300 行" in running and "同事的表格.csv" in running and "clerk-wang" in running
    stalled = re.search(rf'<tr data-import="{township["id"]}">(.*?)</tr>', page.text, re.S).group(1)
    assert '<td data-field="status">已中断</td>' in stalled

    only_stalled = await suite.http.get("/imports", params={"status": "stalled"})
    assert re.findall(r'<tr data-import="(\d+)">', only_stalled.text) == [str(township["id"])]
    assert '<option value="stalled" selected>已中断</option>' in only_stalled.text
    active = await suite.http.get("/imports", params={"status": "active"})
    assert re.findall(r'<tr data-import="(\d+)">', active.text) == [str(colleague["id"])]
    mine = await suite.http.get("/imports", params={"mine": "true"})
    assert re.findall(r'<tr data-import="(\d+)">', mine.text) == [] and "没有符合条件的导入。" in mine.text
    own = await _through_the_api(suite, token, region="370306", subject="clerk-zhang", name="我的表格.csv",
                                 content=csv_of(500))
    mine = await suite.http.get("/imports", params={"mine": "true"})
    assert re.findall(r'<tr data-import="(\d+)">', mine.text) == [str(own["id"])]

    # The job's own page says the same, and so does the home page's list of imports in progress.
    detail = await suite.http.get(f"/imports/{township['id']}")
    assert '<span data-field="status_label">已中断</span>' in detail.text
    home = await suite.http.get("/")
    assert f'<a href="/imports/{colleague["id"]}">同事的表格.csv</a>' in home.text
    assert f'href="/imports/{township["id"]}"' not in home.text  # interrupted: not in progress


async def test_the_list_pages_with_the_suites_cursor(suite, as_person, token):
    made = [await _through_the_api(suite, token, region="370306", subject="clerk-wang", name=f"第{i}批.csv",
                                   content=csv_of(400 + i)) for i in range(33)]
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    first = await suite.http.get("/imports")
    ids = re.findall(r'<tr data-import="(\d+)">', first.text)
    assert ids == [str(job["id"]) for job in reversed(made)][:30]
    following = re.search(r'<a href="(/imports\?cursor=[^"]+)" rel="next">下一页</a>', first.text)
    assert following and "回到第一页" not in first.text
    second = await suite.http.get(following.group(1).replace("&amp;", "&"))
    assert re.findall(r'<tr data-import="(\d+)">', second.text) == [str(job["id"]) for job in reversed(made)][30:]
    assert 'rel="next"' not in second.text and '<a href="/imports">回到第一页</a>' in second.text
    # A filter stays in the pager's links.
    filtered = await suite.http.get("/imports", params={"status": "finished"})
    assert 'href="/imports?status=finished&amp;cursor=' in filtered.text
