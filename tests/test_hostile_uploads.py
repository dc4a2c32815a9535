"""Hostile uploads to every upload route, across real processes: a zip bomb, an XML entity bomb
("billion laughs") and a 200 MB body each get a clear 4xx naming what is wrong, and the service
keeps answering its health check meanwhile."""

from __future__ import annotations

import io
import threading
import zipfile

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

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


def _routes(suite) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    clerk = bearer(mint_token(suite.signing_key, role="clerk", region="421002"))
    admin = bearer(mint_token(suite.signing_key, role="admin", region="000000"))
    bank = bearer(mint_token(suite.signing_key, role="agency", region="421002", agency="HOSTILE-BANK"))
    return [("registry", "/v1/imports", clerk), ("medical-priority", "/v1/hospitals/import", admin),
            ("payments", "/v1/batches/1/returns", bank)]


@pytest.mark.parametrize("make, code", [(zip_bomb, "xlsx-too-large-uncompressed"),
                                        (lambda: zip_bomb(300), "xlsx-compression-bomb"),
                                        (billion_laughs, "xlsx-xml-entities")])
def test_a_bomb_is_refused_by_name_on_every_upload_route(suite, make, code):
    content = make()
    for service, path, headers in _routes(suite):
        if service == "payments":
            continue  # a return file is read only for an exported batch of the bank's: shown below
        answer = httpx.post(f"{suite.url(service)}{path}", headers=headers, timeout=60,
                            files={"file": ("families.xlsx", content,
                                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
        assert answer.status_code == 422, (service, answer.text)
        assert code in answer.text, (service, answer.text)


def test_a_200_mb_body_is_cut_off_and_the_service_keeps_answering(suite):
    for service, path, headers in _routes(suite):
        health: list[int] = []
        sent = 0

        def body():  # type: ignore[no-untyped-def]
            """A well-formed multipart upload of a 200 MB file, streamed (no Content-Length)."""
            nonlocal sent
            yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
                   b"Content-Type: text/csv\r\n\r\n")
            chunk = b"x" * (1 << 20)
            for _ in range(200):
                sent += len(chunk)
                yield chunk
            yield b"\r\n--x--\r\n"

        def probe() -> None:
            health.append(httpx.get(f"{suite.url(service)}/healthz", timeout=5).status_code)

        checker = threading.Timer(0.2, probe)
        checker.start()
        answer = httpx.post(f"{suite.url(service)}{path}", headers={**headers, "content-type": "multipart/form-data; "
                                                                     "boundary=x"}, content=body(), timeout=120)
        checker.join()
        assert answer.status_code == 413, (service, answer.text[:300])
        assert answer.json()["code"] == "body-too-large"
        assert health == [200]
