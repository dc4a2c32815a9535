"""The hospital directory: kept by admins of the region, loadable from a file, bad rows named."""

from __future__ import annotations

import io

from openpyxl import Workbook


HEADING = "医院编码,医院名称,行政区划代码,医院等级,是否定点,减免项目\n"


async def test_admins_put_hospitals_of_their_region(client, auth):
    admin = auth(role="admin", region="420000")
    body = {"name": "武汉市第一医院", "region_code": "420103", "level": "三级甲等", "designated": True,
            "fee_waivers": ["outpatient_registration", "outpatient_infusion"]}
    created = await client.put("/v1/hospitals/H420103001", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["region_name"].startswith("湖北省") and created.json()["fee_waivers"] == body["fee_waivers"]
    changed = await client.put("/v1/hospitals/H420103001", json={**body, "designated": False, "fee_waivers": []},
                               headers=admin)
    assert changed.status_code == 200 and changed.json()["designated"] is False
    outside = await client.put("/v1/hospitals/H370306001", json={**body, "region_code": "370306"}, headers=admin)
    assert outside.status_code == 422
    assert outside.json()["code"] == "region-outside-scope" and outside.json()["field"] == "body.region_code"
    national = auth(role="admin", region="000000")
    elsewhere = await client.put("/v1/hospitals/H370306001", json={**body, "region_code": "370306"}, headers=national)
    assert elsewhere.status_code == 201
    taken = await client.put("/v1/hospitals/H370306001", json=body, headers=admin)  # that code is Shandong's
    assert taken.status_code == 403
    assert taken.json()["code"] == "hospital-outside-region"
    clerk = auth(role="clerk", region="420000")
    assert (await client.put("/v1/hospitals/H420103002", json=body, headers=clerk)).status_code == 403
    listed = (await client.get("/v1/hospitals", params={"region": "420103"}, headers=clerk)).json()
    assert [h["code"] for h in listed["items"]] == ["H420103001"] and listed["next_cursor"] is None
    first = (await client.get("/v1/hospitals", params={"limit": 1}, headers=national)).json()
    assert [h["code"] for h in first["items"]] == ["H370306001"] and first["next_cursor"]
    rest = (await client.get("/v1/hospitals", params={"limit": 1, "cursor": first["next_cursor"]},
                             headers=national)).json()
    assert [h["code"] for h in rest["items"]] == ["H420103001"] and rest["next_cursor"] is None
    missing = await client.get("/v1/hospitals/H370306001", headers=clerk)
    assert missing.status_code == 404
    assert missing.json()["code"] == "hospital-not-found"


async def test_waivers_need_a_designated_hospital_and_known_fees(client, auth):
    admin = auth(role="admin", region="000000")
    base = {"name": "某医院", "region_code": "420103", "level": "二级"}
    undesignated = await client.put("/v1/hospitals/H1", json={**base, "fee_waivers": ["outpatient_registration"]},
                                    headers=admin)
    assert undesignated.status_code == 422
    assert undesignated.json()["code"] == "fee-waiver-not-designated"
    assert undesignated.json()["field"] == "body.fee_waivers" and "定点" in undesignated.json()["errors"][0]["detail"]
    unknown = await client.put("/v1/hospitals/H2", json={**base, "designated": True, "fee_waivers": ["parking"]},
                               headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].startswith("body.fee_waivers")
    bad_level = await client.put("/v1/hospitals/H3", json={**base, "level": "四级"}, headers=admin)
    assert bad_level.status_code == 422
    assert bad_level.json()["errors"][0]["field"] == "body.level"
    bad_code = await client.put("/v1/hospitals/bad code!", json=base, headers=admin)
    assert bad_code.status_code == 422
    assert bad_code.json()["field"] == "path.code" and bad_code.json()["code"] == "string-pattern-mismatch"


async def test_a_gbk_file_loads_its_good_rows_and_names_each_bad_one(client, auth):
    admin = auth(role="admin", region="420000")
    text = HEADING + (
        "H420106101,湖北省人民医院,420106,三级甲等,是,普通门诊挂号费、急诊挂号费、普通门诊输液治疗费\n"
        "H420106102,武昌区社区卫生服务中心,420106,一级,否,\n"
        "H420106103,某医院,429999,二级,否,\n"           # row 4: no such region
        "H420106104,某医院,420106,二级,否,普通门诊挂号费\n"  # row 5: waivers without designation
        "H370306105,周村区人民医院,370306,二级甲等,是,\n"   # row 6: outside the admin's region
    )
    response = await client.post("/v1/hospitals/import", headers=admin,
                                 files={"file": ("hospitals.csv", text.encode("gbk"), "text/csv")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 2 and report["updated"] == 0
    assert [(i["row"], i["column"], i["code"]) for i in report["rejected"]] == [
        (4, "行政区划代码", "region-code-unknown"), (5, "减免项目", "fee-waiver-not-designated"),
        (6, "行政区划代码", "region-outside-scope")]
    # In Chinese, and without repeating the column the row names already.
    assert [i["detail"] for i in report["rejected"]] == [
        "地区码 429999 不是已知的 GB/T 2260 行政区划代码", "只有定点医院才能减免费用：请同时设为定点，或不填减免项目",
        "370306 不在你的辖区 420000 之内"]
    hospital = (await client.get("/v1/hospitals/H420106101", headers=admin)).json()
    assert hospital["fee_waivers"] == ["outpatient_registration", "emergency_registration", "outpatient_infusion"]
    again = (await client.post("/v1/hospitals/import", headers=admin,
                               files={"file": ("hospitals.csv", text.encode("gbk"), "text/csv")})).json()
    assert again["created"] == 0 and again["unchanged"] == 2


async def test_an_xlsx_file_and_a_file_that_cannot_be_read(client, auth):
    admin = auth(role="admin", region="000000")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADING.strip().split(","))
    sheet.append(["H440604001", "禅城区人民医院", 440604, "三级", "是", ""])  # a region code typed as a number
    out = io.BytesIO()
    workbook.save(out)
    report = (await client.post("/v1/hospitals/import", headers=admin,
                                files={"file": ("directory.xlsx", out.getvalue(), "application/octet-stream")})).json()
    assert report["created"] == 1 and report["rejected"] == []
    broken = await client.post("/v1/hospitals/import", headers=admin,
                               files={"file": ("x.csv", "编码,名称\nA,B\n".encode(), "text/csv")})
    assert broken.status_code == 422
    assert broken.json()["code"] == "file-columns-missing" and "医院编码" in broken.json()["errors"][0]["detail"]
    empty = await client.post("/v1/hospitals/import", headers=admin, files={"file": ("x.csv", b"", "text/csv")})
    assert empty.status_code == 422
    assert empty.json()["code"] == "file-unreadable" and empty.json()["field"] == "file"
    all_bad = await client.post("/v1/hospitals/import", headers=admin,
                                files={"file": ("x.csv", (HEADING + "??,某,420106,二级,否,\n").encode(), "text/csv")})
    assert all_bad.status_code == 422
    assert all_bad.json()["errors"][0]["field"] == "file.row2.医院编码"
    assert all_bad.json()["code"] == "hospital-code-format"


async def test_the_directory_reads_an_expired_hospital_once_for_all_its_desks(client, hospital):
    """A thousand lookups a second: when a hospital's entry expires, the desks in flight share one
    read; a change made while that read is on its way is not undone by it."""
    import asyncio

    await hospital("H420106001")
    directory = client._transport.app.state.hospital_directory
    real = directory.sessionmaker
    reads = []

    def counting():
        reads.append(1)
        return real()

    directory.sessionmaker = counting
    try:
        directory.forget_all()
        found = await asyncio.gather(*(directory.get("H420106001") for _ in range(50)))
        assert len(reads) == 1 and {h.code for h in found} == {"H420106001"}
        directory.forget_all()
        pending = asyncio.ensure_future(directory.get("H420106001"))
        for _ in range(3):
            await asyncio.sleep(0)  # the read has begun, and waits for the database
        assert directory._reading
        directory.forget("H420106001")  # a change here meanwhile
        assert (await pending).code == "H420106001"
        assert "H420106001" not in directory._entries  # read the next time, not kept from before the change
    finally:
        directory.sessionmaker = real
