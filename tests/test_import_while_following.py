"""A spreadsheet import on a busy register: while the medical-priority follower works through a
burst of new families (each check reads the registry, which logs the read), an import runs to the
end with every row kept and no "database is locked" — on the embedded default (SQLite) too, where
one writer at a time is the rule and every writer must wait its turn."""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "421003"  # 荆州区 (Hubei, where parents get cards): no other test or example registers families here
HEADERS = ["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "父亲姓名", "父亲身份证号", "子女姓名", "子女出生日期",
           "子女死亡日期"]
BURST, ROWS = 120, 600


def _csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS)
    writer.writeheader()
    for i in range(ROWS):
        mother, father = date(1956, 1, 1) + timedelta(days=i), date(1954, 1, 1) + timedelta(days=i)
        writer.writerow({"户籍地区划代码": REGION, "户口性质": "城镇", "母亲姓名": "李秀兰",
                         "母亲身份证号": id_number(REGION, mother.isoformat(), 8), "父亲姓名": "陈国强",
                         "父亲身份证号": id_number(REGION, father.isoformat(), 7), "子女姓名": "陈明",
                         "子女出生日期": (mother + timedelta(days=365 * 26)).isoformat(), "子女死亡日期": "2019-04-04"})
    return buffer.getvalue().encode()


def _family(i: int) -> dict:
    mother, father = date(1962, 1, 1) + timedelta(days=i), date(1960, 1, 1) + timedelta(days=i)
    return {"region_code": REGION, "hukou_type": "rural",
            "mother": {"name": "王桂英", "id_number": id_number(REGION, mother.isoformat(), 2)},
            "father": {"name": "张建军", "id_number": id_number(REGION, father.isoformat(), 1)},
            "child": {"name": "张伟", "birth_date": "1990-02-02"},
            "events": [{"kind": "child_died", "occurred_on": "2021-07-07"}]}


def test_an_import_runs_to_the_end_while_the_follower_works(suite):
    registry = suite.url("registry")
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-jingzhou", ttl_seconds=3600)
    with ThreadPoolExecutor(4) as pool:  # a burst of registrations: the follower has a queue to work through
        burst = list(pool.map(lambda i: register(registry, clerk, _family(i)), range(BURST)))
    upload = httpx.post(f"{registry}/v1/imports", files={"file": ("荆州区.csv", _csv(), "text/csv")},
                        headers=bearer(clerk), timeout=60)
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["id"]
    deadline = time.monotonic() + 180
    while True:
        job = httpx.get(f"{registry}/v1/imports/{job_id}", headers=bearer(clerk), timeout=30).json()
        if job["status"] in ("finished", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (job["status"], job["error"]) == ("finished", None)
    assert (job["accepted_rows"], job["rejected_rows"], job["duplicate_rows"]) == (ROWS, 0, 0)
    # The follower was working meanwhile, and it too got through: the burst's cards are issued
    # (every tenth family looked at; each parent holds one).
    admin = bearer(mint_token(suite.signing_key, role="admin", region=REGION))
    cards = f"{suite.url('medical-priority')}/v1/cards"
    for family in burst[::10]:
        deadline = time.monotonic() + 300
        while True:
            page = httpx.get(cards, params={"family_id": family["id"], "status": "active"}, headers=admin, timeout=30)
            if len(page.json()["items"]) == 2 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert len(page.json()["items"]) == 2, family["id"]
