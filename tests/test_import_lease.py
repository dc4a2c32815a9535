"""An import whose worker is killed (kill -9) shows as interrupted within its lease, and the same
upload resumes it: no row lost, none registered twice."""

from __future__ import annotations

import csv
import io
import signal
import time
from datetime import date, timedelta

import httpx
import pytest

from tefu_common.testing import bearer, migrated_database, mint_token

from .conftest import ROOT, start_service
from .families import id_number

pytestmark = pytest.mark.processes

REGION = "421003"  # 荆州区: the other test here registers through the shared suite, not this register
ROWS = 20_000
HEADERS = ["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "父亲姓名", "父亲身份证号", "子女姓名", "子女出生日期",
           "子女死亡日期"]


def _csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS)
    writer.writeheader()
    for i in range(ROWS):
        group, day = divmod(i, 5000)  # 5,000 birthdays a group; each group its own ID serials
        mother, father = date(1950, 1, 1) + timedelta(days=day), date(1948, 1, 1) + timedelta(days=day)
        writer.writerow({"户籍地区划代码": REGION, "户口性质": "农村", "母亲姓名": "刘秀珍",
                         "母亲身份证号": id_number(REGION, mother.isoformat(), 2 * group + 12), "父亲姓名": "黄国华",
                         "父亲身份证号": id_number(REGION, father.isoformat(), 2 * group + 11), "子女姓名": "黄明",
                         "子女出生日期": (mother + timedelta(days=365 * 25)).isoformat(), "子女死亡日期": "2019-04-04"})
    return buffer.getvalue().encode()


def _job(url: str, clerk: dict, job_id: int) -> dict:
    answer = httpx.get(f"{url}/v1/imports/{job_id}", headers=clerk, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_killed_import_shows_as_interrupted_within_its_lease_and_the_same_upload_resumes_it(suite, tmp_path):
    with migrated_database("registry_lease", tmp_path, ROOT / "services/registry/alembic.ini") as database_url:
        env = {"TEFU_REGISTRY_DATABASE_URL": database_url,
               "TEFU_REGISTRY_SIGNING_KEY_FILE": str(suite.keys_dir / "issuer-ed25519.pem"),
               "TEFU_REGISTRY_AUTH__JWKS_FILE": str(suite.keys_dir / "issuer-jwks.json"),
               "TEFU_REGISTRY_IMPORT_LEASE_SECONDS": "3"}
        clerk = bearer(mint_token(suite.signing_key, role="clerk", region=REGION, ttl_seconds=3600))
        content = _csv()
        first = start_service("registry", env, tmp_path)
        try:
            upload = httpx.post(f"{first.url}/v1/imports", files={"file": ("荆州区.csv", content, "text/csv")},
                                headers=clerk, timeout=120)
            assert upload.status_code == 202, upload.text
            job_id = upload.json()["id"]
            deadline = time.monotonic() + 120
            while _job(first.url, clerk, job_id)["processed_rows"] == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            running = _job(first.url, clerk, job_id)
            assert running["status"] == "running" and running["stalled"] is False
            first.process.send_signal(signal.SIGKILL)  # the worker dies with the process, mid-file
            first.process.wait(timeout=10)
        finally:
            first.stop()
        second = start_service("registry", env, tmp_path)
        try:
            cut = _job(second.url, clerk, job_id)
            assert cut["status"] == "running" and cut["processed_rows"] < ROWS
            started = time.monotonic()
            while not _job(second.url, clerk, job_id)["stalled"]:
                assert time.monotonic() - started < 10, "still shown as running long after its lease ran out"
                time.sleep(0.2)
            listed = httpx.get(f"{second.url}/v1/imports", params={"status": "stalled"}, headers=clerk).json()
            assert [job["id"] for job in listed["items"]] == [job_id]
            again = httpx.post(f"{second.url}/v1/imports", files={"file": ("荆州区.csv", content, "text/csv")},
                               headers=clerk, timeout=120)
            assert again.status_code == 202, again.text
            assert again.json()["id"] == job_id  # the same job, resumed
            deadline = time.monotonic() + 300
            while (done := _job(second.url, clerk, job_id))["status"] not in ("finished", "failed"):
                assert time.monotonic() < deadline
                time.sleep(0.5)
            assert (done["status"], done["rejected_rows"]) == ("finished", 0)
            assert done["accepted_rows"] + done["duplicate_rows"] == ROWS
            families = httpx.get(f"{second.url}/v1/families", params={"limit": 1}, headers=clerk).json()
            assert families["total"] == ROWS  # every row registered, none twice
        finally:
            second.stop()
