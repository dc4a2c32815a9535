"""Agency profiles: admins manage them; clerks of the region see them."""

from __future__ import annotations

import pytest


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ABC = {"id": "ABC-ZC", "name": "中国农业银行淄博周村支行", "region_code": "370306"}


async def test_an_admin_registers_an_agency_with_the_default_columns(client, token):
    admin = bearer(token(role="admin", region="370000"))
    response = await client.post("/v1/agencies", json=ABC, headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["file_format"] == "csv" and body["encoding"] == "utf-8" and body["summary"] == "trailer"
    assert [c["header"] for c in body["columns"]][:3] == ["流水号", "姓名", "身份证号码"]
    again = await client.post("/v1/agencies", json=ABC, headers=admin)
    assert again.status_code == 409

    changed = {**{k: v for k, v in ABC.items() if k != "id"}, "encoding": "gbk", "summary": "header"}
    response = await client.put("/v1/agencies/ABC-ZC", json=changed, headers=admin)
    assert response.status_code == 200 and response.json()["encoding"] == "gbk"

    clerk = bearer(token(role="clerk", region="370306"))
    assert [a["id"] for a in (await client.get("/v1/agencies", headers=clerk)).json()] == ["ABC-ZC"]
    other = bearer(token(role="clerk", region="420102"))
    assert (await client.get("/v1/agencies", headers=other)).json() == []
    assert (await client.get("/v1/agencies/ABC-ZC", headers=other)).status_code == 404
    assert (await client.post("/v1/agencies", json={**ABC, "id": "X1"}, headers=clerk)).status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file_format": "fixed"}, "width"),
        ({"columns": [{"field": "name", "header": "姓名"}]}, "reference"),
        ({"columns": [{"field": "reference", "header": "a"}, {"field": "amount", "header": "b"},
                      {"field": "account", "header": "c"}, {"field": "amount", "header": "d"}]}, "two columns"),
        ({"file_format": "xlsx", "encoding": "gbk"}, "XLSX"),
        ({"region_code": "999999"}, "region_code"),
    ],
)
async def test_a_bad_profile_is_refused_saying_why(client, token, change, message):
    response = await client.post("/v1/agencies", json={**ABC, "id": "BAD-1", **change},
                                 headers=bearer(token(role="admin", region="000000")))
    assert response.status_code == 422
    assert message in response.text
