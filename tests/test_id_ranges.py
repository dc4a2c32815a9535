"""Ids, positions and cursors beyond what their columns hold are a 422 naming the parameter, never
a 500 from the database (the 32- and 64-bit limits of PostgreSQL's INTEGER and BIGINT)."""

from __future__ import annotations

import base64

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

pytestmark = pytest.mark.processes


def _cursor(*key: int) -> str:
    return base64.urlsafe_b64encode(("[" + ",".join(map(str, key)) + "]").encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("service", "path", "params", "field"), [
    ("registry", "/v1/families/2147483648", {}, "path.family_id"),
    ("registry", "/v1/families/2147483648/liaison-duties", {}, "path.family_id"),
    ("registry", "/v1/changes", {"after": "9223372036854775808"}, "query.after"),
    ("registry", "/v1/families", {"cursor": _cursor(72057594037927935)}, "query.cursor"),
    ("registry", "/v1/access-log", {"family_id": "2147483648"}, "query.family_id"),
    ("payments", "/v1/batches/2147483648", {}, "path.batch_id"),
    ("medical-priority", "/v1/cards", {"family_id": "2147483648"}, "query.family_id"),
    ("supervision", "/v1/supervision/reports/2147483648", {}, "path.report_id"),
])
def test_out_of_range_ids_are_refused_by_name(suite, service, path, params, field):
    token = mint_token(suite.signing_key, role="admin", region="000000")
    answer = httpx.get(f"{suite.url(service)}{path}", params=params, headers=bearer(token), timeout=30)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field
