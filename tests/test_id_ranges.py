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


def test_a_nul_character_is_refused_on_its_field_everywhere(suite):
    """PostgreSQL's text cannot hold U+0000: refused before any work, naming the field."""
    from .families import bereaved_family, register

    clerk = mint_token(suite.signing_key, role="clerk", region="421002")  # 沙市区: no other test registers here
    family = register(suite.url("registry"), clerk, bereaved_family("421002", "范秀英", "许志强", bank="中国银行",
                                                                    account="6216610000000000001"))
    event = httpx.post(f"{suite.url('registry')}/v1/families/{family['id']}/events", headers=bearer(clerk),
                       json={"kind": "hukou_moved", "occurred_on": "2024-01-02", "to_region": "421002",
                             "note": "迁入\u0000本区"})
    assert event.status_code == 422, event.text
    assert [(e["field"], e["code"]) for e in event.json()["errors"]] == [("body.note", "nul-character")]
    search = httpx.get(f"{suite.url('registry')}/v1/families", params={"name_contains": "范\x00"}, headers=bearer(clerk))
    assert (search.status_code, search.json()["errors"][0]["field"]) == (422, "query.name_contains")
    desk = bearer(mint_token(suite.signing_key, role="hospital", region="421002", hospital="H-SS-1"))
    card = httpx.get(f"{suite.url('medical-priority')}/v1/cards/ZY%00123", headers=desk)
    assert (card.status_code, card.json()["errors"][0]["code"]) == (422, "nul-character")
    history = httpx.get(f"{suite.url('registry')}/v1/families/{family['id']}/events", headers=bearer(clerk)).json()
    assert all("\x00" not in str(item) for item in history["items"])


@pytest.mark.parametrize(("service", "path", "params", "field", "code"), [
    ("registry", "/v1/facts", {"region": ""}, "query.region", "region-code-format"),
    ("registry", "/v1/liaison-compliance", {"region": "420000", "period": "0000"}, "query.period", "period-format"),
    ("medical-priority", "/v1/reports/cards", {"region": "420000", "month": "9999-12"}, "query.month",
     "month-out-of-range"),
    ("medical-priority", "/v1/reports/visits", {"region": "420000", "month": "0000-01"}, "query.month",
     "month-out-of-range"),
    ("supervision", "/v1/supervision", {"region": "420000", "period": "9999"}, "query.period", "period-in-future"),
])
def test_dates_and_regions_beyond_any_real_one_are_refused_by_name(suite, service, path, params, field, code):
    token = mint_token(suite.signing_key, role="admin", region="000000")
    answer = httpx.get(f"{suite.url(service)}{path}", params=params, headers=bearer(token), timeout=60)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["errors"][0]["field"], answer.json()["errors"][0]["code"]) == (field, code)
