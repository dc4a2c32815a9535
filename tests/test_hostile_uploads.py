"""Hostile uploads to every upload route, across real processes: a zip bomb, an XML entity bomb
("billion laughs") and a 200 MB body each get a clear 4xx naming what is wrong, and the service
keeps answering its health check meanwhile."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile

import httpx
import pytest
from openpyxl import Workbook

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""


def _workbook(sheet: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         '<sheets><sheet name="s" sheetId="1"/></sheets></workbook>')
        package.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 1024) -> bytes:
    """About a thousandth of its size, expanding to ``megabytes`` of sheet XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"<row>" + b" " * (1 << 20) + b"</row>"
            for _ in range(megabytes):
                part.write(block)
    return buffer.getvalue()


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{"&lol" + (str(i - 1) if i > 1 else "") + ";" * 1}' + ("&lol" + (str(i - 1) if i > 1 else "") + ";") * 9 + '">'
        for i in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
             '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return _workbook(sheet.encode())


REGION = "420202"  # 黄石市黄石港区: no other test registers families here
UPLOADS = {
    # (service, path): the role that may upload there. Derived routes not listed here fail the test.
    ("registry", "/v1/imports"): "clerk",
    ("medical-priority", "/v1/hospitals/import"): "admin",
    ("payments", "/v1/batches/{batch_id}/returns"): "agency",
}
SERVICES = ("registry", "eligibility", "payments", "medical-priority", "supervision")


def upload_routes(suite) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every operation of every service that takes a file (a multipart or file body), from its OpenAPI document."""
    found = []
    for service in SERVICES:
        document = httpx.get(f"{suite.url(service)}/openapi.json", timeout=30).json()
        for path, methods in document["paths"].items():
            for operation in methods.values():
                content = (operation.get("requestBody") or {}).get("content", {})
                if any(kind.startswith(("multipart/", "application/octet-stream")) for kind in content):
                    found.append((service, path))
    return found


@pytest.fixture(scope="module")
def exported_batch(suite) -> int:  # type: ignore[no-untyped-def]
    """A batch the bank has pulled, so that a return file for it is read at all."""
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hostile")
    clerk = bearer(clerk_token)
    register(suite.url("registry"), clerk_token, {
        "region_code": REGION, "hukou_type": "urban", "address": "某街道 9 号",
        "honor_certificate": {"number": "GRZ-H1", "issued_on": "1991-01-05"},
        "mother": {"name": "周玉兰", "id_number": id_number(REGION, "1962-04-10", 2),
                   "bank_account": {"bank": "中国建设银行某支行", "account_number": "6217001000000000901",
                                    "holder": "周玉兰"}},
        "child": {"name": "刘小明", "birth_date": "1988-02-01"},
        "events": [{"kind": "child_died", "occurred_on": "2019-03-10"}]})
    payments = suite.url("payments")
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    agency = httpx.post(f"{payments}/v1/agencies", headers=admin, json={
        "id": "HOSTILE-BANK", "name": "中国建设银行某支行", "region_code": "420000"})
    assert agency.status_code == 201, agency.text
    created = httpx.post(f"{payments}/v1/batches", headers=clerk, timeout=120, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "HOSTILE-BANK"})
    assert created.status_code == 201, created.text
    batch = created.json()["id"]
    assert httpx.post(f"{payments}/v1/batches/{batch}/submit", headers=clerk).status_code == 200
    approver = bearer(mint_token(suite.signing_key, role="approver", region=REGION, subject="chief-hostile"))
    assert httpx.post(f"{payments}/v1/batches/{batch}/approve", headers=approver).status_code == 200
    pulled = httpx.get(f"{payments}/v1/batches/{batch}/file", headers=_headers(suite, "agency"))
    assert pulled.status_code == 200, pulled.text
    return batch


def _headers(suite, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    region = "000000" if role == "admin" else "420000" if role == "agency" else REGION
    extra = {"agency": "HOSTILE-BANK"} if role == "agency" else {}
    return bearer(mint_token(suite.signing_key, role=role, region=region, **extra))


def _routes(suite, exported_batch) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    found = upload_routes(suite)
    assert set(found) == set(UPLOADS), f"upload routes without hostile-upload coverage: {set(found) - set(UPLOADS)}"
    return [(service, path.replace("{batch_id}", str(exported_batch)), _headers(suite, UPLOADS[service, path]))
            for service, path in found]


def _refused(answer: httpx.Response, status: int, code: str, service: str) -> None:
    assert answer.status_code == status, (service, answer.text[:500])
    assert answer.headers["content-type"].startswith("application/problem+json"), service
    problem = answer.json()
    codes = {problem.get("code")} | {e.get("code") for e in problem.get("errors", [])}
    fields = {e.get("field") for e in problem.get("errors", [])} | {problem.get("field")}
    assert code in codes, (service, problem)
    assert any(f and "file" in str(f) for f in fields) or code == "body-too-large", (service, problem)


def _healthy_meanwhile(suite, service: str, send) -> httpx.Response:  # type: ignore[no-untyped-def]
    """``send()``'s answer; /healthz, asked every 50 ms while it runs, must answer 200 each time, never stalled.

    A stalled event loop (the file parsed on it) holds /healthz for tens of seconds; a loop that is
    free answers in milliseconds. One second between the two keeps a busy two-core CI machine's
    scheduling noise out of the verdict (a 100.6 ms answer is noise, not a stall).
    """
    timings: list[tuple[int, float]] = []
    done = threading.Event()
    # A client made and connected beforehand: what is timed is the service's answer, not the set-up
    # of the probe's own client.
    with httpx.Client(base_url=suite.url(service), timeout=5) as client:
        client.get("/healthz")

        def probe() -> None:
            while True:
                started = time.monotonic()
                status = client.get("/healthz").status_code
                timings.append((status, time.monotonic() - started))
                if done.wait(0.05):
                    return

        checker = threading.Thread(target=probe)
        checker.start()
        try:
            answer = send()
        finally:
            done.set()
            checker.join()
    assert timings, service
    assert all(status == 200 for status, _ in timings), (service, timings)
    assert max(seconds for _, seconds in timings) < 1.0, (service, timings)
    return answer


def test_every_upload_route_is_covered(suite):
    assert set(upload_routes(suite)) == set(UPLOADS)


def _csv(lines: list[str], rows: int, row: str) -> bytes:
    return ("\n".join(lines) + "\n" + (row + "\n") * rows).encode()


HEADINGS = {
    "registry": "户籍地区划代码,户口性质,子女姓名",
    "medical-priority": "医院编码,医院名称,行政区划代码,医院等级,是否定点",
    "payments": "流水号,结果,失败原因,发放日期",
}
ROWS = {"registry": 1_000_000, "medical-priority": 50_000, "payments": 500_000}
WRONG_HEADINGS = {"registry": "columns-missing", "medical-priority": "file-columns-missing",
                  "payments": "return-file-columns"}


CASES = {
    "zip-bomb": (lambda service: zip_bomb(), "xlsx-too-large-uncompressed"),
    "compression-bomb": (lambda service: zip_bomb(300), "xlsx-compression-bomb"),
    "billion-laughs": (lambda service: billion_laughs(), "xlsx-xml-entities"),
    "too-many-columns": (lambda service: _csv([",".join(f"列{i}" for i in range(300))], 1, "x"), "too-many-columns"),
    "too-many-rows": (lambda service: _csv([HEADINGS[service]], ROWS[service] + 1, "1,2"), "too-many-rows"),
    "wrong-headings": (lambda service: _csv(["甲,乙,丙"], 1_000_000, "1,2,3"), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_is_refused_by_name_on_every_upload_route(suite, exported_batch, case):
    make, code = CASES[case]
    for service, path, headers in _routes(suite, exported_batch):
        content = make(service)
        name = "families.xlsx" if content[:2] == b"PK" else "families.csv"
        started = time.monotonic()
        answer = _healthy_meanwhile(suite, service, lambda: httpx.post(
            f"{suite.url(service)}{path}", headers=headers, timeout=120, files={"file": (name, content)}))
        _refused(answer, 422, code or WRONG_HEADINGS[service], service)
        if case == "wrong-headings":  # the heading answers: the million rows after it are never read
            assert time.monotonic() - started < 5, service


def _declaring(heading: list[str], rows: int) -> bytes:
    """A workbook of one heading row whose <dimension> says it holds ``rows`` rows."""
    workbook = Workbook()
    workbook.active.append(heading)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for part in source.infolist():
            data = source.read(part)
            if part.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:Z{rows}"'.encode(), data)
            package.writestr(part, data)
    return out.getvalue()


def test_a_declared_dimension_over_the_limit_is_refused_before_the_rows_are_read(suite, exported_batch):
    for service, path, headers in _routes(suite, exported_batch):
        content = _declaring(HEADINGS[service].split(","), ROWS[service] + 2)
        answer = httpx.post(f"{suite.url(service)}{path}", headers=headers, timeout=60,
                            files={"file": ("families.xlsx", content)})
        _refused(answer, 422, "too-many-rows", service)


def test_a_200_mb_body_is_cut_off_and_the_service_keeps_answering(suite, exported_batch):
    for service, path, headers in _routes(suite, exported_batch):

        def body():  # type: ignore[no-untyped-def]
            """A well-formed multipart upload of a 200 MB file, streamed (no Content-Length)."""
            yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
                   b"Content-Type: text/csv\r\n\r\n")
            chunk = b"x" * (1 << 20)
            for _ in range(200):
                yield chunk
            yield b"\r\n--x--\r\n"

        answer = _healthy_meanwhile(suite, service, lambda: httpx.post(
            f"{suite.url(service)}{path}", headers={**headers, "content-type": "multipart/form-data; boundary=x"},
            content=body(), timeout=120))
        _refused(answer, 413, "body-too-large", service)
