"""Agency profiles: admins manage them; clerks of the region see them."""

from __future__ import annotations

import re

import pytest

ABC = {"id": "ABC-ZC", "name": "中国农业银行淄博周村支行", "region_code": "370306"}


@pytest.fixture
async def registered(client, auth):
    response = await client.post("/v1/agencies", json=ABC, headers=auth(role="admin", region="370000"))
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_admin_registers_an_agency_with_the_default_columns(registered):
    assert (registered["file_format"], registered["encoding"], registered["summary"]) == ("csv", "utf-8", "trailer")
    assert [c["header"] for c in registered["columns"]][:3] == ["流水号", "姓名", "身份证号码"]


async def test_an_agency_registered_twice_is_a_conflict(client, auth, registered):
    again = await client.post("/v1/agencies", json=ABC, headers=auth(role="admin", region="370000"))
    assert again.status_code == 409
    assert again.json()["code"] == "agency-exists"


async def test_an_admin_changes_the_profile(client, auth, registered):
    changed = {**{k: v for k, v in ABC.items() if k != "id"}, "encoding": "gbk", "summary": "header"}
    response = await client.put("/v1/agencies/ABC-ZC", json=changed, headers=auth(role="admin", region="370000"))
    assert response.status_code == 200
    assert response.json()["encoding"] == "gbk"


async def test_clerks_see_the_agencies_of_their_region_only(client, auth, registered):
    listed = (await client.get("/v1/agencies", headers=auth(role="clerk", region="370306"))).json()
    assert ([a["id"] for a in listed["items"]], listed["next_cursor"]) == (["ABC-ZC"], None)
    other = auth(role="clerk", region="420102")
    assert (await client.get("/v1/agencies", headers=other)).json()["items"] == []
    missing = await client.get("/v1/agencies/ABC-ZC", headers=other)
    assert missing.status_code == 404
    assert missing.json()["code"] == "agency-not-found"


async def test_clerks_cannot_register_agencies(client, auth):
    response = await client.post("/v1/agencies", json={**ABC, "id": "X1"}, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 403


async def test_agencies_page_by_cursor(client, auth):
    admin = auth(role="admin", region="000000")
    for number in range(3):
        created = await client.post("/v1/agencies", json={**ABC, "id": f"BANK-{number}"}, headers=admin)
        assert created.status_code == 201
    first = (await client.get("/v1/agencies", params={"limit": 2}, headers=admin)).json()
    second = (await client.get("/v1/agencies", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)).json()
    assert [a["id"] for a in first["items"] + second["items"]] == ["BANK-0", "BANK-1", "BANK-2"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("change", "code", "english"),
    [
        ({"file_format": "fixed"}, "column-width-missing", "width"),
        ({"columns": [{"field": "name", "header": "姓名"}]}, "column-missing", "reference"),
        ({"columns": [{"field": "reference", "header": "a"}, {"field": "amount", "header": "b"},
                      {"field": "account", "header": "c"}, {"field": "amount", "header": "d"}]}, "column-repeated",
         "two columns"),
        ({"file_format": "xlsx", "encoding": "gbk"}, "xlsx-encoding", "XLSX"),
        ({"region_code": "999999"}, "region-code-unknown", "999999"),
    ],
)
async def test_a_bad_profile_is_refused_saying_why(client, auth, change, code, english):
    headers = auth(role="admin", region="000000")
    response = await client.post("/v1/agencies", json={**ABC, "id": "BAD-1", **change}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", response.json()["errors"][0]["detail"])
    in_english = await client.post("/v1/agencies", json={**ABC, "id": "BAD-1", **change},
                                   headers={**headers, "Accept-Language": "en"})
    assert english in in_english.json()["errors"][0]["detail"]
